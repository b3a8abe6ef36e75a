// MappedFile: a file's bytes mapped read-only. No copy, and the page cache is mapped many pages
// per fault (reading a 1 MB spool into a string faulted in 256 fresh pages). Only for files that
// are appended to or replaced by rename, never truncated in place: a mapped page past a new end
// would fault SIGBUS (the spool, the recent-events file, intent snapshots). An empty file maps to
// an empty view.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "store/status.h"

namespace memory {

class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  MappedFile(MappedFile&& other) noexcept : addr_(other.addr_), size_(other.size_) {
    other.addr_ = nullptr, other.size_ = 0;
  }
  MappedFile& operator=(MappedFile&& other) noexcept;
  ~MappedFile();

  // Maps `path` (a regular file), dropping any earlier mapping. NotFound when it does not exist,
  // IOError otherwise.
  Status Open(const std::string& path);
  // Tells the kernel that reads will be scattered (no read-around on faults): for files read a
  // few records at a time, such as snapshots found by binary search.
  void AdviseRandom() const;
  std::string_view data() const { return {static_cast<const char*>(addr_), size_}; }

 private:
  void* addr_ = nullptr;
  size_t size_ = 0;
};

}  // namespace memory
