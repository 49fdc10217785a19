#include "sim/coro.hpp"

#include <unordered_set>

#include "sim/engine.hpp"

namespace forksim {
namespace coro_detail {

void resume(std::coroutine_handle<> h) {
  do {
    chain_length = 0;
    h.resume();
    h = std::exchange(deferred, nullptr);
  } while (h);
}

namespace {
// Every spawned coroutine that has not ended, when the pool gives each
// block its own malloc (AddressSanitizer): a run stopped early (a budget)
// leaves threads suspended for good, and their frames (each owns its
// callees' through the Co it awaits) stay reachable to the end, as the
// state the run stopped in, rather than counted as leaks; a frame lost
// otherwise is still one. A carving pool never frees its chunks, so there
// is nothing to keep track of.
std::unordered_set<void*>& live_roots() {
  static auto* roots = new std::unordered_set<void*>;  // never destroyed: frames outlive statics
  return *roots;
}
}  // namespace

void end_spawned(std::coroutine_handle<> h, std::exception_ptr e) noexcept {
  if constexpr (!kPoolCarves) live_roots().erase(h.address());
  h.destroy();
  if (e) SimEngine::get().fail(e);
}
}  // namespace coro_detail

void spawn(Co<void> c) {
  std::coroutine_handle<> h = c.release();
  if constexpr (!kPoolCarves) coro_detail::live_roots().insert(h.address());
  SimEngine::get().resume_soon(h);
}

}  // namespace forksim
