// One thread that does a caller's writing, in the order it was handed over,
// so that the caller can go on meanwhile.
//
// A sweep's driver hands each decided point on (its JSON, its partial-log
// line and fsync, the point store): about 4 ms a point, during which runs
// that had ended waited to be reaped and their cores idled (a median of
// 1.3 ms from a run's end to its reaping, 200 points x 5 runs of 3 ms).
//
// The first task that throws stops the rest (they are dropped, as the
// caller's own later work would have been); its exception is thrown again
// from the next post() or from finish(). The tasks must not touch what the
// caller uses meanwhile. A process that fork()s with the thread alive is
// safe as long as the child never waits on the thread's queue (glibc makes
// malloc and stdio safe across fork). AddressSanitizer's allocator (GCC
// 12's) is not: a child forked while the thread held its lock hung at its
// first allocation (seen in CI), so a sanitized build runs each task in
// post(), on the caller's thread, as the hand-off was before.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace forksim {

class WriterThread {
 public:
  // At most `most_queued` tasks wait; post() blocks beyond (the writing
  // keeps up with the runs, or the runs wait for it, never the memory).
  explicit WriterThread(std::size_t most_queued = 16);
  // Waits for the queue, then ends the thread; a failure not yet thrown is dropped.
  ~WriterThread();
  WriterThread(const WriterThread&) = delete;
  WriterThread& operator=(const WriterThread&) = delete;

  void post(std::function<void()> task);
  // Returns once every task posted has run; throws the first failure.
  void finish();

 private:
  void loop();
  void rethrow_failure();

  const std::size_t most_queued_;
  std::mutex m_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> queue_;
  bool busy_ = false, closing_ = false;
  std::exception_ptr failure_;
  std::thread thread_;
};

}  // namespace forksim
