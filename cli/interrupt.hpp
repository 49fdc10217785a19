// forksim's own SIGINT/SIGTERM handling. The first signal only records
// itself: the run monitor sees it at its next check and stops the run, whose
// partial report is then written (exit 130 or 143). A second signal is the
// user insisting: it removes the report's temporary file, if one is being
// written, and kills the process with the signal's default action.
#pragma once
#include <csignal>
#include <string>

namespace forksim {

// Installs the handlers for the guard's lifetime; the previous ones come back
// with it. A signal the process was started ignoring (a background job of a
// script) stays ignored. One guard at a time.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction old_int_, old_term_;
};

// For its lifetime, SIGINT and SIGTERM cut blocking system calls short
// (EINTR) instead of restarting them as the guard has them do, so that a
// parent waiting for its children (driver/child_pool.hpp's
// wait_one(interruptible)) hears of a signal sent to it alone and can pass
// it on. Only around such waits: a write() cut short would lose output.
// Leaves a signal the process ignores ignored.
class InterruptsCutWaits {
 public:
  InterruptsCutWaits();
  ~InterruptsCutWaits();
  InterruptsCutWaits(const InterruptsCutWaits&) = delete;
  InterruptsCutWaits& operator=(const InterruptsCutWaits&) = delete;

 private:
  struct sigaction old_int_, old_term_;
};

// The first SIGINT or SIGTERM received under a guard, or 0.
int interrupt_signal();
// "interrupted by SIGINT" (or SIGTERM): the reason a stopped run gives.
std::string interrupt_reason(int sig);

// The temporary file a second signal removes (one at a time; a path longer
// than the buffer is not registered and throws std::length_error).
void register_temporary(const std::string& path);
void unregister_temporary();

}  // namespace forksim
