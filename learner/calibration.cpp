#include "learner/calibration.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace memory::learner {

void ReliabilityTable::Merge(const ReliabilityTable& o) {
  for (int b = 0; b < kBins; ++b) {
    n[b] += o.n[b];
    prob[b] += o.prob[b];
    hits[b] += o.hits[b];
  }
}

int64_t ReliabilityTable::total() const {
  int64_t t = 0;
  for (int b = 0; b < kBins; ++b) t += n[b];
  return t;
}

double ReliabilityTable::Ece() const {
  const int64_t t = total();
  if (t == 0) return 0;
  double e = 0;
  for (int b = 0; b < kBins; ++b) e += std::abs(prob[b] - static_cast<double>(hits[b]));
  return e / static_cast<double>(t);
}

double ReliabilityTable::MeanProb() const {
  const int64_t t = total();
  double s = 0;
  for (int b = 0; b < kBins; ++b) s += prob[b];
  return t ? s / static_cast<double>(t) : 0;
}

double ReliabilityTable::HitRate() const {
  const int64_t t = total();
  int64_t h = 0;
  for (int b = 0; b < kBins; ++b) h += hits[b];
  return t ? static_cast<double>(h) / static_cast<double>(t) : 0;
}

int Calibrator::BinOf(double p) {
  if (!(p > 0)) return 0;
  int b = static_cast<int>(std::sqrt(p) * kBins);
  return b >= kBins ? kBins - 1 : b;
}

void Calibrator::Observe(double p, bool hit, double weight) {
  p = std::clamp(p, 0.0, 1.0);
  const int b = BinOf(p);
  n_[b] += weight;
  prob_[b] += weight * p;
  hits_[b] += hit ? weight : 0.0;
  ++observed_;
}

void Calibrator::Scale(double f) {
  for (int b = 0; b < kBins; ++b) n_[b] *= f, prob_[b] *= f, hits_[b] *= f;
}

void Calibrator::Fit(double unit) {
  const double inv = 1 / unit;
  // Each bin: its raw probabilities and hits, plus `prior` pseudo-observations at the bin's
  // centre that came true at the centre's rate (the identity).
  double x[kBins], y[kBins], w[kBins];
  for (int b = 0; b < kBins; ++b) {
    const double lo = double(b) / kBins, hi = double(b + 1) / kBins;
    const double centre = 0.5 * (lo * lo + hi * hi);
    w[b] = n_[b] * inv + prior_;
    x[b] = w[b] > 0 ? (prob_[b] * inv + prior_ * centre) / w[b] : centre;
    y[b] = w[b] > 0 ? (hits_[b] * inv + prior_ * centre) / w[b] : centre;
    if (w[b] <= 0) w[b] = 1e-12;
  }
  // Pool adjacent violators: blocks of bins with one weighted mean rate, non-decreasing.
  double level[kBins], weight[kBins];
  int first[kBins], blocks = 0;
  for (int b = 0; b < kBins; ++b) {
    level[blocks] = y[b];
    weight[blocks] = w[b];
    first[blocks] = b;
    ++blocks;
    while (blocks > 1 && level[blocks - 2] > level[blocks - 1]) {
      const double wt = weight[blocks - 2] + weight[blocks - 1];
      level[blocks - 2] = (level[blocks - 2] * weight[blocks - 2] + level[blocks - 1] * weight[blocks - 1]) / wt;
      weight[blocks - 2] = wt;
      --blocks;
    }
  }
  knots_.clear();
  knots_.push_back({0, 0});
  for (int k = 0; k < blocks; ++k) {
    const int end = k + 1 < blocks ? first[k + 1] : kBins;
    for (int b = first[k]; b < end; ++b) {
      const double yb = std::clamp(level[k], 0.0, 1.0);
      if (x[b] > knots_.back().x && x[b] < 1) knots_.push_back({x[b], std::max(yb, knots_.back().y)});
    }
  }
  knots_.push_back({1, 1});
  IndexKnots();
}

void Calibrator::IndexKnots() {
  size_t k = 0;
  for (int b = 0; b < kBins; ++b) {
    const double edge = double(b) * double(b) / (double(kBins) * kBins);
    while (knots_[k].x < edge) ++k;  // the last knot (x = 1) stops it
    first_knot_[b] = static_cast<uint8_t>(k);
  }
}

double Calibrator::Map(double p) const {
  if (!(p > 0)) return 0;
  if (p >= 1) return 1;
  // The first knot at or beyond p (knots_ runs from x = 0 to x = 1): from the first knot of p's
  // bin (p is at or above that bin's lower edge, so no earlier knot can be at or beyond it).
  size_t i = first_knot_[BinOf(p)];
  while (i > 0 && knots_[i - 1].x >= p) --i;  // (rounding at a bin edge)
  while (knots_[i].x < p) ++i;
  if (i == 0) return knots_[0].y;
  const Knot& hi = knots_[i];
  const Knot& lo = knots_[i - 1];
  return lo.y + (hi.y - lo.y) * (p - lo.x) / (hi.x - lo.x);
}

bool Calibrator::ValidKnots(const std::vector<Knot>& knots) {
  if (knots.size() < 2 || knots.front().x != 0 || knots.front().y != 0 || knots.back().x != 1 || knots.back().y != 1)
    return false;
  for (size_t i = 0; i < knots.size(); ++i) {
    if (!(knots[i].y >= 0 && knots[i].y <= 1)) return false;
    if (i > 0 && !(knots[i].x > knots[i - 1].x && knots[i].y >= knots[i - 1].y)) return false;
  }
  return true;
}

Calibrator Calibrator::FromKnots(std::vector<Knot> knots) {
  Calibrator c;
  if (ValidKnots(knots) && knots.size() <= 255) c.knots_ = std::move(knots);
  c.IndexKnots();
  return c;
}

Status SaveListCalibrator(const ListCalibrator& c, const std::string& path) {
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) return Status::IOError(tmp + ": cannot create: " + std::strerror(errno));
  std::fprintf(f, "MEMCAL01\n");
  for (int m = 0; m < 2; ++m) {
    const std::vector<Calibrator::Knot>& knots = (m == 0 ? c.first() : c.rest()).knots();
    std::fprintf(f, "%s %zu\n", m == 0 ? "first" : "rest", knots.size());
    for (const Calibrator::Knot& k : knots) std::fprintf(f, "%.17g %.17g\n", k.x, k.y);
  }
  const bool ok = std::fflush(f) == 0 && !std::ferror(f);
  std::fclose(f);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status::IOError(path + ": write failed: " + std::strerror(errno));
  }
  return Status::OK();
}

Status LoadListCalibrator(const std::string& path, ListCalibrator* out) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path + ": no calibration file");
  auto bad = [&](const std::string& why) { return Status::Corruption(path + ": " + why); };
  std::string magic;
  if (!(in >> magic) || magic != "MEMCAL01") return bad("not a calibration file (MEMCAL01)");
  Calibrator maps[2];
  for (int m = 0; m < 2; ++m) {
    std::string name;
    size_t n = 0;
    if (!(in >> name >> n) || name != (m == 0 ? "first" : "rest") || n < 2 || n > 255)
      return bad("malformed map header");
    std::vector<Calibrator::Knot> knots(n);
    for (Calibrator::Knot& k : knots)
      if (!(in >> k.x >> k.y)) return bad("truncated map");
    if (!Calibrator::ValidKnots(knots)) return bad("a map is not monotone from (0, 0) to (1, 1)");
    maps[m] = Calibrator::FromKnots(std::move(knots));
  }
  std::string extra;
  if (in >> extra) return bad("unexpected data after the maps");
  *out = ListCalibrator(std::move(maps[0]), std::move(maps[1]));
  return Status::OK();
}

}  // namespace memory::learner
