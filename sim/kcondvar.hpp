// A kernel condition variable (cv_wait / cv_signal / cv_broadcast). The
// waiter goes in condvar.c's order: onto the sleep queue, then mutex_exit
// while it still runs on its CPU (so a thread spinning on the mutex is not
// sent to sleep, and takes it at its next look), then off the CPU. A
// signalled waiter is made runnable at kernel priority and takes the mutex
// again. The signaller holds the mutex, so no wake-up falls between the
// waiter's check and its sleep.
#pragma once
#include <vector>

#include "sim/dispatcher.hpp"
#include "sim/kmutex.hpp"
#include "sim/ptr_list.hpp"

namespace forksim {

class KCondVar {
 public:
  Co<void> wait(Kthread& t, KMutex& m);
  void signal(Dispatcher& d);
  void broadcast(Dispatcher& d);
  bool has_waiters() const { return !waiters_.empty(); }

 private:
  PtrList<Kthread*> waiters_;  // few per process: allocates only when used
};

}  // namespace forksim
