#include "sim/coro.hpp"

#include <cstdlib>
#include <new>
#include <vector>

#include "sim/engine.hpp"

namespace forksim {
namespace coro_detail {
namespace {
// Free lists by size in 64-byte classes; larger frames go to malloc. Frames
// are never given back to the system: a run's peak number of live frames
// is its peak number of waiting threads times their call depth.
constexpr std::size_t kClass = 64, kClasses = 32;
std::vector<void*> free_lists[kClasses];
}  // namespace

void* frame_alloc(std::size_t n) {
  std::size_t c = (n + kClass - 1) / kClass;
  if (c < kClasses && !free_lists[c].empty()) {
    void* p = free_lists[c].back();
    free_lists[c].pop_back();
    return p;
  }
  void* p = std::malloc(c < kClasses ? c * kClass : n);
  if (!p) throw std::bad_alloc();
  return p;
}

void frame_free(void* p, std::size_t n) noexcept {
  std::size_t c = (n + kClass - 1) / kClass;
  if (c < kClasses) {
    try {
      free_lists[c].push_back(p);
      return;
    } catch (...) {
    }
  }
  std::free(p);
}

void spawned_failed(std::exception_ptr e) noexcept { SimEngine::get().fail(e); }

namespace {
struct Detached {
  struct promise_type {
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
