// Helpers of the store tests: a temporary data directory, events, opening the store, a scan.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/store.h"

namespace memory {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/memory-store-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline Event MakeEvent(const std::string& cmd, int64_t ts, int exit_code = 0, const std::string& session = "s1",
                const std::string& cwd = "/home/u/src/app") {
  Event e;
  e.command = cmd;
  e.ts_us = ts;
  e.exit_code = exit_code;
  e.session = session;
  e.cwd = cwd;
  e.user = "u";
  e.duration_us = 1500;
  return e;
}

inline std::unique_ptr<Store> OpenRW(const std::string& dir, bool compress = true) {
  StoreOptions o;
  o.dir = dir;
  o.mode = StoreOptions::Mode::kReadWrite;
  o.compress = compress;
  std::unique_ptr<Store> s;
  Status st = Store::Open(o, &s);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return s;
}

// A reader: it does not fold the spool.
inline std::unique_ptr<Store> OpenRO(const std::string& dir) {
  StoreOptions o;
  o.dir = dir;
  o.mode = StoreOptions::Mode::kReadOnly;
  std::unique_ptr<Store> s;
  Status st = Store::Open(o, &s);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return s;
}

inline std::vector<Event> All(Store* s, bool newest_first = false) {
  std::vector<Event> out;
  ScanOptions so;
  so.newest_first = newest_first;
  EXPECT_TRUE(s->Scan(so, [&](const Event& e) { return out.push_back(e), true; }).ok());
  return out;
}

}  // namespace memory
