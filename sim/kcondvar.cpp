#include "sim/kcondvar.hpp"

#include "sim/trace.hpp"

namespace forksim {

Co<void> KCondVar::wait(Kthread& t, KMutex& m) {
  co_await t.flush();
  LockSite site = m.site();  // cv_wait takes the mutex back for the same caller
  waiters_.push_back(&t);  // cv_block: on the sleep queue first
  co_await m.exit(t);      // mutex_exit on CPU: never suspends, the work is flushed
  if (Trace* tr = t.dispatcher().trace()) tr->sleep_reason(t, "cv_wait");
  t.dispatcher().release(t, Kthread::State::Sleeping);  // swtch
  co_await t.block();
  co_await m.enter(t, site);
}

void KCondVar::signal(Dispatcher& d) {
  if (waiters_.empty()) return;
  Kthread* w = waiters_.front();
  waiters_.erase(waiters_.begin());
  d.make_runnable(*w);
}

void KCondVar::broadcast(Dispatcher& d) {
  while (!waiters_.empty()) signal(d);
}

}  // namespace forksim
