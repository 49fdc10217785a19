#include "sim/coro.hpp"

#include <cstdlib>
#include <new>

#include "sim/engine.hpp"

namespace forksim {
namespace coro_detail {
namespace {
// Free lists by size in 64-byte classes; larger frames go to malloc. Frames
// are not given back to the system during a run: a run's peak number of
// live frames is its peak number of waiting threads times their call
// depth. The lists run through the free frames themselves, so freeing
// never allocates; they are emptied at exit (Pool's destructor), so that
// LeakSanitizer sees every block given back.
constexpr std::size_t kClass = 64, kClasses = 32;
struct FreeFrame {
  FreeFrame* next;
};
struct Pool {
  FreeFrame* lists[kClasses] = {};
  ~Pool() {
    for (FreeFrame*& head : lists)
      while (FreeFrame* f = head) {
        head = f->next;
        std::free(f);
      }
  }
};
Pool pool;
}  // namespace

void* frame_alloc(std::size_t n) {
  std::size_t c = (n + kClass - 1) / kClass;
  if (c < kClasses && pool.lists[c]) {
    FreeFrame* f = pool.lists[c];
    pool.lists[c] = f->next;
    return f;
  }
  void* p = std::malloc(c < kClasses ? c * kClass : n);
  if (!p) throw std::bad_alloc();
  return p;
}

void frame_free(void* p, std::size_t n) noexcept {
  std::size_t c = (n + kClass - 1) / kClass;
  if (c < kClasses) {
    // A frame freed after Pool's destructor (by another static's) is kept
    // on the emptied list, still reachable.
    auto* f = static_cast<FreeFrame*>(p);
    f->next = pool.lists[c];
    pool.lists[c] = f;
    return;
  }
  std::free(p);
}

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
    static void* operator new(std::size_t n) { return frame_alloc(n); }
    static void operator delete(void* p, std::size_t n) noexcept { frame_free(p, n); }
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
