// Status: the result of an operation that can fail, returned across module boundaries.
// Modelled on LevelDB's Status: cheap when OK, carries a code and a one-line message otherwise.
#pragma once

#include <string>
#include <utility>

namespace memory {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,         // a named thing does not exist
    kInvalidArgument,  // the caller's input is malformed (bad file, bad option, bad JSON ...)
    kIOError,          // the file system failed
    kCorruption,       // stored data does not decode
    kBusy,             // another process holds a lock we need (e.g. the store's writer lock)
    kUnsupported,      // a format, model or feature we do not have
    kAborted,          // the user declined or the operation was interrupted
  };

  Status() = default;
  static Status OK() { return Status(); }
  static Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
  static Status InvalidArgument(std::string m) { return Status(Code::kInvalidArgument, std::move(m)); }
  static Status IOError(std::string m) { return Status(Code::kIOError, std::move(m)); }
  static Status Corruption(std::string m) { return Status(Code::kCorruption, std::move(m)); }
  static Status Busy(std::string m) { return Status(Code::kBusy, std::move(m)); }
  static Status Unsupported(std::string m) { return Status(Code::kUnsupported, std::move(m)); }
  static Status Aborted(std::string m) { return Status(Code::kAborted, std::move(m)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsBusy() const { return code_ == Code::kBusy; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  std::string ToString() const;

  // Exit code the CLI uses for this status (0 ok, 1 runtime failure, 2 bad input, 3 busy,
  // 4 corruption, 5 declined).
  int ExitCode() const;

 private:
  Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

inline std::string Status::ToString() const {
  switch (code_) {
    case Code::kOk: return "OK";
    case Code::kNotFound: return "not found: " + message_;
    case Code::kInvalidArgument: return message_;
    case Code::kIOError: return "I/O error: " + message_;
    case Code::kCorruption: return "corruption: " + message_;
    case Code::kBusy: return "busy: " + message_;
    case Code::kUnsupported: return "unsupported: " + message_;
    case Code::kAborted: return "aborted: " + message_;
  }
  return message_;
}

inline int Status::ExitCode() const {
  switch (code_) {
    case Code::kOk: return 0;
    case Code::kInvalidArgument:
    case Code::kUnsupported:
    case Code::kNotFound: return 2;
    case Code::kBusy: return 3;
    case Code::kCorruption: return 4;
    case Code::kAborted: return 5;
    case Code::kIOError: return 1;
  }
  return 1;
}

// Evaluates `expr` (a Status) and returns it from the enclosing function when it is not OK.
#define MEMORY_RETURN_IF_ERROR(expr)            \
  do {                                          \
    ::memory::Status _st = (expr);              \
    if (!_st.ok()) return _st;                  \
  } while (0)

}  // namespace memory
