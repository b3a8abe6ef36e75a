// Byte-level writer/reader of saved policy state (internal to policies/; see Policy::Save).
// Little-endian host layout of trivially copyable values; the reader never reads past the end
// and remembers the first failure, so a truncated or corrupt file gives a Status, not a crash.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <Eigen/Dense>

#include "store/status.h"

namespace memory::policies {

class StateWriter {
 public:
  template <typename T>
  void Put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    buf_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void PutString(std::string_view s) {
    Put<uint64_t>(s.size());
    buf_.append(s.data(), s.size());
  }
  template <typename T>
  void PutVector(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    Put<uint64_t>(v.size());
    buf_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  void PutMatrix(const Eigen::MatrixXd& m) {
    Put<int64_t>(m.rows());
    Put<int64_t>(m.cols());
    buf_.append(reinterpret_cast<const char*>(m.data()), static_cast<size_t>(m.size()) * sizeof(double));
  }
  void PutVectorXd(const Eigen::VectorXd& v) {
    Put<int64_t>(v.size());
    buf_.append(reinterpret_cast<const char*>(v.data()), static_cast<size_t>(v.size()) * sizeof(double));
  }
  std::string& buffer() { return buf_; }

 private:
  std::string buf_;
};

class StateReader {
 public:
  explicit StateReader(std::string_view data) : data_(data) {}
  template <typename T>
  bool Get(T* v) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (!Need(sizeof(T))) return false;
    std::memcpy(v, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool GetString(std::string* s) {
    uint64_t n;
    if (!Get(&n) || !Need(n)) return false;
    s->assign(data_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  template <typename T>
  bool GetVector(std::vector<T>* v) {
    uint64_t n;
    if (!Get(&n) || n > (data_.size() - pos_) / sizeof(T) + 1 || !Need(n * sizeof(T))) return Fail();
    v->resize(n);
    if (n) std::memcpy(v->data(), data_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
    return true;
  }
  bool GetMatrix(Eigen::MatrixXd* m) {
    int64_t r, c;
    if (!Get(&r) || !Get(&c) || r < 0 || c < 0 || (r > 0 && static_cast<uint64_t>(c) > Remaining() / 8 / r))
      return Fail();
    if (!Need(static_cast<uint64_t>(r * c) * sizeof(double))) return false;
    m->resize(r, c);
    if (r > 0 && c > 0) std::memcpy(m->data(), data_.data() + pos_, static_cast<size_t>(r * c) * sizeof(double));
    pos_ += static_cast<size_t>(r * c) * sizeof(double);
    return true;
  }
  bool GetVectorXd(Eigen::VectorXd* v) {
    int64_t n;
    if (!Get(&n) || n < 0 || static_cast<uint64_t>(n) > Remaining() / 8) return Fail();
    v->resize(n);
    if (n) std::memcpy(v->data(), data_.data() + pos_, static_cast<size_t>(n) * sizeof(double));
    pos_ += static_cast<size_t>(n) * sizeof(double);
    return true;
  }
  // Marks the state invalid (a value out of range).
  bool Fail() {
    ok_ = false;
    return false;
  }
  bool ok() const { return ok_; }
  uint64_t Remaining() const { return data_.size() - pos_; }

 private:
  bool Need(uint64_t n) {
    if (!ok_ || n > data_.size() - pos_) return Fail();
    return true;
  }
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace memory::policies
