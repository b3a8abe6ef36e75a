// NewModel: parses factory strings such as "mixture(ppm(order=3),ipam(alpha=0.8),rate=0.3)".
//   spec  := name [ "(" item { "," item } ")" ]
//   item  := key "=" value | spec
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "learner/builtin_models.h"
#include "learner/ranked_list.h"

namespace memory::learner {

std::string FormatNumber(double v) {
  char buf[40];
  for (int prec = 6; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

// Tuned on the population (all users of a data set pooled, micro top-1), checked on the other
// data set: see bench/results/intent.md. The outer calibrate() changes only the probabilities
// (bench/results/calibration.md).
std::string BestModelSpec() {
  return "calibrate(respell(mixture(ppm(order=8,decay=0.9,escape=8,base_decay=0.9,candidates=12,features=2),"
         "ipam(alpha=0.8),markov(order=1),rate=0.1,share=0.01,per_context=1,select=0.99,margin=3)),prior=50)";
}

namespace {

struct SpecNode {
  std::string name;
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<SpecNode> children;
};

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Status Parse(SpecNode* node) {
    MEMORY_RETURN_IF_ERROR(ParseSpec(node, 0));
    SkipSpace();
    if (i_ != s_.size()) return Error("unexpected '" + std::string(1, s_[i_]) + "'");
    return Status::OK();
  }

 private:
  Status Error(const std::string& what) const {
    return Status::InvalidArgument("model spec \"" + std::string(s_) + "\": " + what + " at position " +
                                   std::to_string(i_));
  }
  void SkipSpace() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  std::string Ident() {
    SkipSpace();
    size_t start = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) ++i_;
    return std::string(s_.substr(start, i_ - start));
  }
  Status ParseSpec(SpecNode* node, int depth) {
    if (depth > 8) return Error("nested too deeply");
    node->name = Ident();
    if (node->name.empty()) return Error("expected a model name");
    SkipSpace();
    if (i_ >= s_.size() || s_[i_] != '(') return Status::OK();
    ++i_;
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == ')') { ++i_; return Status::OK(); }
    for (;;) {
      size_t save = i_;
      std::string key = Ident();
      SkipSpace();
      if (!key.empty() && i_ < s_.size() && s_[i_] == '=') {
        ++i_;
        SkipSpace();
        size_t start = i_;
        while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != ')' && s_[i_] != '(') ++i_;
        std::string value(s_.substr(start, i_ - start));
        while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.pop_back();
        if (value.empty()) return Error("missing value for '" + key + "'");
        for (const auto& kv : node->params)
          if (kv.first == key) return Error("parameter '" + key + "' given twice");
        node->params.emplace_back(key, value);
      } else {
        i_ = save;
        node->children.emplace_back();
        MEMORY_RETURN_IF_ERROR(ParseSpec(&node->children.back(), depth + 1));
      }
      SkipSpace();
      if (i_ >= s_.size()) return Error("missing ')'");
      if (s_[i_] == ')') { ++i_; return Status::OK(); }
      if (s_[i_] != ',') return Error("expected ',' or ')'");
      ++i_;
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

Status ParseDouble(const std::string& model, const std::string& key, const std::string& v, double lo,
                   double hi, double* out) {
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (end == v.c_str() || *end != '\0' || !std::isfinite(d) || d < lo || d > hi)
    return Status::InvalidArgument("model " + model + ": " + key + "=" + v + " is not a number in [" +
                                   FormatNumber(lo) + ", " + FormatNumber(hi) + "]");
  *out = d;
  return Status::OK();
}

Status ParseInt(const std::string& model, const std::string& key, const std::string& v, int lo, int hi,
                int* out) {
  char* end = nullptr;
  long d = std::strtol(v.c_str(), &end, 10);
  if (end == v.c_str() || *end != '\0' || d < lo || d > hi)
    return Status::InvalidArgument("model " + model + ": " + key + "=" + v + " is not an integer in [" +
                                   std::to_string(lo) + ", " + std::to_string(hi) + "]");
  *out = static_cast<int>(d);
  return Status::OK();
}

Status UnknownKey(const SpecNode& n, const std::string& key, const char* accepted) {
  return Status::InvalidArgument("model " + n.name + ": unknown parameter '" + key + "' (accepted: " +
                                 accepted + ")");
}

Status Build(const SpecNode& n, std::unique_ptr<NextCommandModel>* out) {
  auto no_children = [&]() -> Status {
    if (!n.children.empty()) return Status::InvalidArgument("model " + n.name + " takes no member models");
    return Status::OK();
  };
  if (n.name == "mfu" || n.name == "mfc" || n.name == "mru") {
    MEMORY_RETURN_IF_ERROR(no_children());
    if (!n.params.empty()) return UnknownKey(n, n.params[0].first, "none");
    *out = n.name == "mru" ? NewMruModel() : NewMfuModel();
    return Status::OK();
  }
  if (n.name == "markov") {
    MEMORY_RETURN_IF_ERROR(no_children());
    int order = 1;
    for (const auto& [k, v] : n.params) {
      if (k != "order") return UnknownKey(n, k, "order");
      MEMORY_RETURN_IF_ERROR(ParseInt(n.name, k, v, 1, 8, &order));
    }
    *out = NewMarkovModel(order);
    return Status::OK();
  }
  if (n.name == "ipam") {
    MEMORY_RETURN_IF_ERROR(no_children());
    double alpha = 0.8;
    for (const auto& [k, v] : n.params) {
      if (k != "alpha") return UnknownKey(n, k, "alpha");
      MEMORY_RETURN_IF_ERROR(ParseDouble(n.name, k, v, 0.01, 0.9999, &alpha));
    }
    *out = NewIpamModel(alpha);
    return Status::OK();
  }
  if (n.name == "ppm") {
    MEMORY_RETURN_IF_ERROR(no_children());
    PpmOptions o;
    for (const auto& [k, v] : n.params) {
      if (k == "order") {
        MEMORY_RETURN_IF_ERROR(ParseInt(n.name, k, v, 0, 8, &o.order));
      } else if (k == "decay") {
        MEMORY_RETURN_IF_ERROR(ParseDouble(n.name, k, v, 0.01, 1.0, &o.decay));
      } else if (k == "escape") {
        MEMORY_RETURN_IF_ERROR(ParseDouble(n.name, k, v, 1e-6, 1e6, &o.escape));
      } else if (k == "base_decay") {
        MEMORY_RETURN_IF_ERROR(ParseDouble(n.name, k, v, 0.01, 1.0, &o.base_decay));
      } else if (k == "candidates") {
        // Each row's candidates and the entry after them must be within its ranked head.
        MEMORY_RETURN_IF_ERROR(ParseInt(n.name, k, v, 1, RankedList::kHead - 1, &o.candidates));
      } else if (k == "skip") {
        MEMORY_RETURN_IF_ERROR(ParseInt(n.name, k, v, 0, 1, &o.skip));
      } else if (k == "features") {
        MEMORY_RETURN_IF_ERROR(ParseInt(n.name, k, v, 0, 2, &o.features));
      } else {
        return UnknownKey(n, k, "order, decay, escape, base_decay, candidates, skip, features");
      }
    }
    *out = NewPpmModel(o);
    return Status::OK();
  }
  if (n.name == "mixture") {
    MixtureOptions o;
    for (const auto& [k, v] : n.params) {
      if (k == "rate") {
        MEMORY_RETURN_IF_ERROR(ParseDouble(n.name, k, v, 0.0, 100.0, &o.rate));
      } else if (k == "share") {
        MEMORY_RETURN_IF_ERROR(ParseDouble(n.name, k, v, 0.0, 1.0, &o.share));
      } else if (k == "per_context") {
        int b = 1;
        MEMORY_RETURN_IF_ERROR(ParseInt(n.name, k, v, 0, 1, &b));
        o.per_context = b != 0;
      } else if (k == "eg") {
        int b = 0;
        MEMORY_RETURN_IF_ERROR(ParseInt(n.name, k, v, 0, 1, &b));
        o.eg = b != 0;
      } else if (k == "select") {
        MEMORY_RETURN_IF_ERROR(ParseDouble(n.name, k, v, 0.0, 0.9999, &o.select));
      } else if (k == "margin") {
        MEMORY_RETURN_IF_ERROR(ParseDouble(n.name, k, v, 0.0, 1e6, &o.margin));
      } else {
        return UnknownKey(n, k, "rate, share, per_context, eg, select, margin");
      }
    }
    if (n.children.empty()) return Status::InvalidArgument("model mixture needs at least one member model");
    std::vector<std::unique_ptr<NextCommandModel>> members;
    for (const SpecNode& c : n.children) {
      members.emplace_back();
      MEMORY_RETURN_IF_ERROR(Build(c, &members.back()));
    }
    *out = NewMixtureModel(std::move(members), o);
    return Status::OK();
  }
  if (n.name == "respell") {
    RespellOptions o;
    for (const auto& [k, v] : n.params) {
      if (k == "edits") {
        MEMORY_RETURN_IF_ERROR(ParseInt(n.name, k, v, 1, 3, &o.edits));
      } else if (k == "rare") {
        MEMORY_RETURN_IF_ERROR(ParseInt(n.name, k, v, 1, 1000, &o.rare));
      } else {
        return UnknownKey(n, k, "edits, rare");
      }
    }
    if (n.children.size() != 1) return Status::InvalidArgument("model respell needs exactly one member model");
    std::unique_ptr<NextCommandModel> inner;
    MEMORY_RETURN_IF_ERROR(Build(n.children[0], &inner));
    *out = NewRespellModel(std::move(inner), o);
    return Status::OK();
  }
  if (n.name == "calibrate") {
    double prior = 50;
    for (const auto& [k, v] : n.params) {
      if (k != "prior") return UnknownKey(n, k, "prior");
      MEMORY_RETURN_IF_ERROR(ParseDouble(n.name, k, v, 0.0, 1e6, &prior));
    }
    if (n.children.size() != 1) return Status::InvalidArgument("model calibrate needs exactly one member model");
    std::unique_ptr<NextCommandModel> inner;
    MEMORY_RETURN_IF_ERROR(Build(n.children[0], &inner));
    *out = NewCalibratedModel(std::move(inner), prior);
    return Status::OK();
  }
  if (n.name == "gru") {
    MEMORY_RETURN_IF_ERROR(no_children());
    std::string path;
    for (const auto& [k, v] : n.params) {
      if (k != "path") return UnknownKey(n, k, "path");
      path = v;
    }
    if (path.empty()) return Status::InvalidArgument("model gru needs path=FILE (weights written by memory-train)");
    return NewGruModel(path, out);
  }
  if (n.name == "best") {
    if (!n.children.empty() || !n.params.empty()) return Status::InvalidArgument("model best takes no parameters");
    return NewModel(BestModelSpec(), out);
  }
  return Status::Unsupported("unknown model '" + n.name + "' (known: mfu, mru, markov, ipam, ppm, mixture, respell, calibrate, gru, best)");
}

}  // namespace

Status NewModel(std::string_view spec, std::unique_ptr<NextCommandModel>* out) {
  if (spec.size() > 4096) return Status::InvalidArgument("model spec is too long");
  SpecNode node;
  MEMORY_RETURN_IF_ERROR(Parser(spec).Parse(&node));
  return Build(node, out);
}

}  // namespace memory::learner
