#include "learner/gru.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace memory::learner {
namespace {

constexpr char kMagic[8] = {'M', 'E', 'M', 'G', 'R', 'U', '0', '1'};

void PutU32(std::string* out, uint32_t v) { out->append(reinterpret_cast<const char*>(&v), 4); }
void PutFloats(std::string* out, const std::vector<float>& v) {
  out->append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

class Reader {
 public:
  Reader(const std::string& data, const std::string& path) : d_(data), path_(path) {}
  Status U32(uint32_t* v) {
    if (pos_ + 4 > d_.size()) return Truncated();
    std::memcpy(v, d_.data() + pos_, 4);
    pos_ += 4;
    return Status::OK();
  }
  Status Floats(size_t n, std::vector<float>* v) {
    if (n > (d_.size() - pos_) / sizeof(float)) return Truncated();
    v->resize(n);
    std::memcpy(v->data(), d_.data() + pos_, n * sizeof(float));
    pos_ += n * sizeof(float);
    return Status::OK();
  }
  Status Text(std::string* s) {
    uint32_t n = 0;
    MEMORY_RETURN_IF_ERROR(U32(&n));
    if (n > d_.size() - pos_) return Truncated();
    s->assign(d_.data() + pos_, n);
    pos_ += n;
    return Status::OK();
  }
  bool AtEnd() const { return pos_ == d_.size(); }

 private:
  Status Truncated() const { return Status::Corruption(path_ + ": truncated GRU weight file"); }
  const std::string& d_;
  const std::string& path_;
  size_t pos_ = 8;
};

}  // namespace

Status GruWeights::Save(const std::string& path) const {
  std::string out(kMagic, 8);
  PutU32(&out, vocab);
  PutU32(&out, embed);
  PutU32(&out, hidden);
  for (const auto* v : {&embedding, &w_ih, &w_hh, &b_ih, &b_hh, &out_w, &out_b}) PutFloats(&out, *v);
  for (const std::string& t : texts) {
    PutU32(&out, static_cast<uint32_t>(t.size()));
    out += t;
  }
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return Status::IOError(tmp + ": cannot create");
    f.write(out.data(), static_cast<std::streamsize>(out.size()));
    if (!f.flush()) return Status::IOError(tmp + ": write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Status::IOError(path + ": rename failed");
  return Status::OK();
}

Status GruWeights::Load(const std::string& path, GruWeights* w) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return Status::InvalidArgument(path + ": is a directory, expected a GRU weight file");
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::NotFound(path + ": no such GRU weight file");
  std::string data(8, '\0');  // the magic first: /dev/zero or a wrong file is not read on
  f.read(data.data(), 8);
  if (f.gcount() != 8 || std::memcmp(data.data(), kMagic, 8) != 0) return Status::Corruption(path + ": not a GRU weight file");
  data.append(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  if (data.size() < 20) return Status::Corruption(path + ": not a GRU weight file");
  Reader r(data, path);
  MEMORY_RETURN_IF_ERROR(r.U32(&w->vocab));
  MEMORY_RETURN_IF_ERROR(r.U32(&w->embed));
  MEMORY_RETURN_IF_ERROR(r.U32(&w->hidden));
  const size_t V = w->vocab, E = w->embed, H = w->hidden;
  if (V == 0 || E == 0 || H == 0 || V > (1u << 24) || E > 4096 || H > 4096)
    return Status::Corruption(path + ": implausible GRU dimensions");
  MEMORY_RETURN_IF_ERROR(r.Floats(V * E, &w->embedding));
  MEMORY_RETURN_IF_ERROR(r.Floats(3 * H * E, &w->w_ih));
  MEMORY_RETURN_IF_ERROR(r.Floats(3 * H * H, &w->w_hh));
  MEMORY_RETURN_IF_ERROR(r.Floats(3 * H, &w->b_ih));
  MEMORY_RETURN_IF_ERROR(r.Floats(3 * H, &w->b_hh));
  MEMORY_RETURN_IF_ERROR(r.Floats(V * H, &w->out_w));
  MEMORY_RETURN_IF_ERROR(r.Floats(V, &w->out_b));
  w->texts.resize(V);
  for (auto& t : w->texts) MEMORY_RETURN_IF_ERROR(r.Text(&t));
  if (!r.AtEnd()) return Status::Corruption(path + ": trailing bytes after the GRU weights");
  return Status::OK();
}

GruNet::GruNet(GruWeights w) : w_(std::move(w)) {
  const int V = static_cast<int>(w_.vocab), E = static_cast<int>(w_.embed), H = static_cast<int>(w_.hidden);
  emb_ = Eigen::Map<const Mat>(w_.embedding.data(), V, E);
  w_ih_ = Eigen::Map<const Mat>(w_.w_ih.data(), 3 * H, E);
  w_hh_ = Eigen::Map<const Mat>(w_.w_hh.data(), 3 * H, H);
  out_w_ = Eigen::Map<const Mat>(w_.out_w.data(), V, H);
  b_ih_ = Eigen::Map<const Eigen::VectorXf>(w_.b_ih.data(), 3 * H);
  b_hh_ = Eigen::Map<const Eigen::VectorXf>(w_.b_hh.data(), 3 * H);
  out_b_ = Eigen::Map<const Eigen::VectorXf>(w_.out_b.data(), V);
  for (size_t i = 0; i < w_.texts.size(); ++i) tokens_.emplace(w_.texts[i], static_cast<int32_t>(i));
}

int32_t GruNet::Token(const std::string& text) const {
  auto it = tokens_.find(text);
  return it == tokens_.end() ? 0 : it->second;
}

void GruNet::Step(int32_t token, Eigen::VectorXf* h) const {
  const int H = static_cast<int>(w_.hidden);
  if (token < 0 || token >= static_cast<int32_t>(w_.vocab)) token = 0;
  Eigen::VectorXf gi = w_ih_ * emb_.row(token).transpose() + b_ih_;
  Eigen::VectorXf gh = w_hh_ * (*h) + b_hh_;
  auto sigmoid = [](float x) { return 1.0f / (1.0f + std::exp(-x)); };
  Eigen::VectorXf next(H);
  for (int i = 0; i < H; ++i) {
    float r = sigmoid(gi[i] + gh[i]);
    float z = sigmoid(gi[H + i] + gh[H + i]);
    float n = std::tanh(gi[2 * H + i] + r * gh[2 * H + i]);
    next[i] = (1.0f - z) * n + z * (*h)[i];
  }
  *h = std::move(next);
}

void GruNet::Logits(const Eigen::VectorXf& h, Eigen::VectorXf* logits) const { *logits = out_w_ * h + out_b_; }

void GruNet::Top(const Eigen::VectorXf& h, size_t k, Eigen::VectorXf* logits,
                 std::vector<std::pair<int32_t, double>>* out) const {
  out->clear();
  Logits(h, logits);
  const int32_t V = static_cast<int32_t>(logits->size());
  const float* l = logits->data();
  k = std::min<size_t>(k, V > 1 ? size_t(V - 1) : 0);
  if (k == 0) return;
  // The best k by one pass of insertion into *out (k is small; most logits fail the first
  // comparison), their logits held in .second until the softmax below.
  out->reserve(k);
  for (int32_t t = 1; t < V; ++t) {
    const double v = l[t];
    if (out->size() == k && !(v > out->back().second)) continue;
    if (out->size() < k) out->emplace_back();
    size_t j = out->size() - 1;
    for (; j > 0 && (*out)[j - 1].second < v; --j) (*out)[j] = (*out)[j - 1];
    (*out)[j] = {t, v};
  }
  // Softmax: the normalizer with Eigen's vectorized exp (float), each shown probability in double.
  const float mx = std::max(l[0], static_cast<float>(out->front().second));
  const double z = (logits->array() - mx).exp().sum();
  for (auto& [token, v] : *out) v = std::exp(static_cast<double>(l[token] - mx)) / z;
}

}  // namespace memory::learner
