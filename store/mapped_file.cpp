#include "store/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace memory {

MappedFile::~MappedFile() {
  if (addr_ != nullptr) ::munmap(addr_, size_);
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (addr_ != nullptr) ::munmap(addr_, size_);
    addr_ = other.addr_, size_ = other.size_;
    other.addr_ = nullptr, other.size_ = 0;
  }
  return *this;
}

Status MappedFile::Open(const std::string& path) {
  *this = MappedFile();  // drops a mapping held before
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::IOError(path + ": " + std::strerror(errno));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    Status s = Status::IOError(path + ": not a readable regular file");
    ::close(fd);
    return s;
  }
  if (st.st_size > 0) {
    void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      Status s = Status::IOError(path + ": mmap: " + std::strerror(errno));
      ::close(fd);
      return s;
    }
    addr_ = p;
    size_ = static_cast<size_t>(st.st_size);
  }
  ::close(fd);
  return Status::OK();
}

void MappedFile::AdviseRandom() const {
  if (addr_ != nullptr) ::madvise(addr_, size_, MADV_RANDOM);
}

}  // namespace memory
