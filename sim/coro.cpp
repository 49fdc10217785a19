#include "sim/coro.hpp"

#include "sim/engine.hpp"

namespace forksim {
namespace coro_detail {
void spawned_failed(std::exception_ptr e) noexcept { SimEngine::get().fail(e); }

void resume(std::coroutine_handle<> h) {
  do {
    chain_length = 0;
    h.resume();
    h = std::exchange(deferred, nullptr);
  } while (h);
}

namespace {
// Every spawned coroutine that has not ended, linked from a global: a run
// stopped early (a budget) leaves threads suspended for good, and their
// frames (each owns its callees' through the Co it awaits) stay reachable
// to the end, as the state the run stopped in, rather than counted as
// leaks; a frame lost otherwise is still one.
struct Live {
  Live *prev = nullptr, *next = nullptr;
};
Live live_roots;

struct Detached {
  struct promise_type : Live {
    promise_type() {
      prev = &live_roots;
      next = live_roots.next;
      if (next) next->prev = this;
      live_roots.next = this;
    }
    ~promise_type() {
      prev->next = next;
      if (next) next->prev = prev;
    }
    static void* operator new(std::size_t n) { return pool_alloc(n); }
    static void operator delete(void* p, std::size_t n) noexcept { pool_free(p, n); }
    Detached get_return_object() { return {std::coroutine_handle<promise_type>::from_promise(*this)}; }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { spawned_failed(std::current_exception()); }
  };
  std::coroutine_handle<promise_type> h;
};

Detached detached(Co<void> c) { co_await std::move(c); }
}  // namespace
}  // namespace coro_detail

void spawn(Co<void> c) { SimEngine::get().resume_soon(coro_detail::detached(std::move(c)).h); }

}  // namespace forksim
