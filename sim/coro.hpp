// Simulated threads as C++20 coroutines.
//
// Model code reads as straight-line kernel code: a step that may wait (a
// lock, a CPU, a sleep) is `co_await`ed, and the thread's whole call chain
// is suspended there until the engine resumes it. A suspended thread is a
// chain of small heap frames, not an actor with a stack: waiting costs the
// engine one timer (sim/engine.hpp), never a simcall or a context switch.
// See the README's performance section for why (an actor's wait cost two
// simcalls and two context switches, and a fork ~24 of them).
//
//   Co<int> f(Kthread& t) { co_await t.flush(); co_return 1; }
//   Co<void> g(Kthread& t) { int x = co_await f(t); ... }
//   spawn(g(t));  // g starts at this instant, once the caller waits; detached
//
// A Co starts when awaited and resumes its awaiter when done (symmetric
// transfer), and the native stack stays bounded however long a chain of
// calls that finish without waiting runs (see transfer() below). An
// exception propagates to the awaiter; one that escapes a spawned
// coroutine is kept by the engine, which stops and rethrows it.
#pragma once
#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "sim/pool.hpp"

namespace forksim {

namespace coro_detail {
// A spawned coroutine (one nothing awaits) has ended: its frame is freed,
// and the exception that escaped it, if any, goes to the engine.
void end_spawned(std::coroutine_handle<> h, std::exception_ptr e) noexcept;

// Symmetric transfer (await_suspend returning the next handle) is a jump
// only where the compiler makes it a tail call: GCC at -O0, or with ASan,
// nests a native frame per transfer, and a thread that goes on without
// waiting (SimEngine::skip_to) for a long run of calls overflows the stack.
// So a chain is cut every kMaxChain transfers: the next handle is left to
// the loop that resumed the chain (resume()), which goes on with it once
// the nested frames have returned. Nothing runs in between, so the order
// of resumption is symmetric transfer's; an optimised build keeps its
// jumps and returns to the loop once per kMaxChain transfers.
inline constexpr unsigned kMaxChain = 64;
inline unsigned chain_length = 0;
inline std::coroutine_handle<> deferred;
inline std::coroutine_handle<> transfer(std::coroutine_handle<> next) noexcept {
  if (++chain_length < kMaxChain) return next;
  deferred = next;
  return std::noop_coroutine();
}
// Resumes h, and the chain's rest each time it was cut. The engine's
// dispatch is the one place that resumes a handle.
void resume(std::coroutine_handle<> h);

struct PromiseBase {
  std::coroutine_handle<> cont;
  std::exception_ptr error;

  // Frames come from sim/pool.hpp: a fork awaits a few dozen calls, and
  // malloc per frame was a visible share of the engine's time.
  static void* operator new(std::size_t n) { return pool_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { pool_free(p, n); }

  std::suspend_always initial_suspend() noexcept { return {}; }
  struct Final {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      auto c = h.promise().cont;
      if (c) return transfer(c);
      end_spawned(h, std::move(h.promise().error));  // only spawn() starts a Co unawaited
      return std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  Final final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }
};

template <class T>
struct Promise : PromiseBase {
  T value{};
  template <class U>
  void return_value(U&& v) { value = std::forward<U>(v); }
};
template <>
struct Promise<void> : PromiseBase {
  void return_void() noexcept {}
};
}  // namespace coro_detail

template <class T = void>
class [[nodiscard]] Co {
 public:
  struct promise_type : coro_detail::Promise<T> {
    Co get_return_object() { return Co(std::coroutine_handle<promise_type>::from_promise(*this)); }
  };
  using Handle = std::coroutine_handle<promise_type>;

  Co(Co&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Co& operator=(Co&&) = delete;
  ~Co() {
    if (h_) h_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) noexcept {
    h_.promise().cont = awaiter;
    return coro_detail::transfer(h_);
  }
  T await_resume() {
    if (h_.promise().error) std::rethrow_exception(h_.promise().error);
    if constexpr (!std::is_void_v<T>) return std::move(h_.promise().value);
  }

  // For spawn(): hands the frame over.
  Handle release() { return std::exchange(h_, {}); }

 private:
  explicit Co(Handle h) : h_(h) {}
  Handle h_;
};

// What a call that usually finishes on the spot returns: either nothing to
// wait for (no coroutine frame was made), or a Co to await.
//   Soon f() { if (easy) { ...; return {}; } return slow_path(); }
class [[nodiscard]] Soon {
 public:
  Soon() = default;
  Soon(Co<void>&& c) { co_.emplace(std::move(c)); }
  bool await_ready() const noexcept { return !co_; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) noexcept {
    return co_->await_suspend(h);
  }
  void await_resume() {
    if (co_) co_->await_resume();
  }

 private:
  std::optional<Co<void>> co_;
};

// Starts c at the current time, after the running coroutine waits (as a
// new thread would), detached; its frame is freed when it ends. No wrapper
// frame: a fork bomb spawns a million.
void spawn(Co<void> c);

}  // namespace forksim
