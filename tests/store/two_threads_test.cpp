// internal::TwoThreads: every job runs once, on the caller's thread or one more; an exception on
// either thread (out of memory in a bulk load's background writer) reaches the caller.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <new>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "store/internal.h"

namespace memory::internal {
namespace {

TEST(TwoThreads, RunsEveryJobOnceOnAtMostTwoThreads) {
  std::vector<std::atomic<int>> runs(1000);
  std::mutex mu;
  std::set<std::thread::id> threads;
  TwoThreads(runs.size(), [&](size_t i) {
    ++runs[i];
    std::lock_guard<std::mutex> l(mu);
    threads.insert(std::this_thread::get_id());
  });
  for (const auto& r : runs) ASSERT_EQ(r.load(), 1);
  // At most one thread besides the caller's. The caller need not run a job: the other thread
  // may take all of them before the caller takes its first (seen in CI).
  threads.erase(std::this_thread::get_id());
  EXPECT_LE(threads.size(), 1u);
  TwoThreads(0, [&](size_t) { ADD_FAILURE() << "no jobs"; });
}

TEST(TwoThreads, AnExceptionOnEitherThreadReachesTheCaller) {
  const std::thread::id caller = std::this_thread::get_id();
  for (bool on_caller : {false, true}) {
    std::atomic<int> ran{0};
    // Each job waits until both threads have started one, so that both take part; the jobs of
    // the chosen thread throw.
    std::atomic<int> started{0};
    bool caught = false;
    try {
      TwoThreads(100, [&](size_t) {
        ++ran;
        if (++started <= 2)
          while (started.load() < 2) std::this_thread::yield();
        if ((std::this_thread::get_id() == caller) == on_caller) throw std::bad_alloc();
      });
    } catch (const std::bad_alloc&) {
      caught = true;
    }
    EXPECT_TRUE(caught) << on_caller;
    EXPECT_GE(ran.load(), 2);
  }
}

}  // namespace
}  // namespace memory::internal
