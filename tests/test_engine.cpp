// The event engine (sim/engine.hpp, sim/coro.hpp): coroutines resumed at
// their times, ties in request order, values and exceptions through
// co_await, a failed coroutine stopping the run.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/coro.hpp"
#include "sim/engine.hpp"
#include "sim/pool.hpp"
#include "sim/ptr_list.hpp"

using namespace forksim;

namespace {

struct Log {
  std::vector<std::string> lines;
  void add(const std::string& who) {
    std::ostringstream o;
    o << who << "@" << std::fixed << std::setprecision(6) << SimEngine::now();
    lines.push_back(o.str());
  }
};

Co<void> sleeper(Log& log, std::string name, std::vector<double> at) {
  for (double t : at) {
    co_await SimEngine::wait_until(t);
    log.add(name);
  }
}

Co<int> twice(int x) {
  co_await SimEngine::wait_for(1.0);
  co_return 2 * x;
}

Co<void> thrower() {
  co_await SimEngine::wait_for(0.5);
  throw std::runtime_error("model bug");
}

Co<void> engine_caller(Log& log) {
  int v = co_await twice(21);
  log.add("got " + std::to_string(v));
  try {
    co_await thrower();
  } catch (const std::runtime_error& e) {
    log.add(e.what());
  }
}

}  // namespace

TEST_CASE("the engine resumes coroutines in time order and ties in request order", "[engine]") {
  SimEngine eng;
  Log log;
  spawn(sleeper(log, "a", {2.0, 3.0}));
  spawn(sleeper(log, "b", {1.0, 3.0}));
  spawn(sleeper(log, "c", {3.0}));
  eng.run();
  // At 3.0: c asked at time 0, a and b later (at 2.0 and 1.0), so c first,
  // then b (asked at 1.0), then a (asked at 2.0).
  CHECK(log.lines == std::vector<std::string>{"b@1.000000", "a@2.000000", "c@3.000000",
                                              "b@3.000000", "a@3.000000"});
  CHECK(SimEngine::now() == 3.0);
  CHECK(eng.resumptions() == 3 + 5);  // three starts, five wake-ups
  CHECK(eng.rounds() == 4);           // t = 0, 1, 2, 3
  CHECK(eng.idle());
}

TEST_CASE("co_await carries values and exceptions between coroutines", "[engine]") {
  SimEngine eng;
  Log log;
  spawn(engine_caller(log));
  eng.run();
  CHECK(log.lines == std::vector<std::string>{"got 42@1.000000", "model bug@1.500000"});
}

TEST_CASE("an exception escaping a spawned coroutine stops the run and is rethrown", "[engine]") {
  SimEngine eng;
  Log log;
  spawn(thrower());
  spawn(sleeper(log, "late", {1.0}));
  CHECK_THROWS_WITH(eng.run_until(10), "model bug");
  CHECK(log.lines.empty());  // nothing ran after the failure
}

TEST_CASE("run_until stops at its time and the next call goes on", "[engine]") {
  SimEngine eng;
  Log log;
  spawn(sleeper(log, "a", {1.0, 2.0, 3.0}));
  eng.run_until(2.5);
  CHECK(log.lines.size() == 2);
  CHECK(SimEngine::now() == Approx(2.5));
  eng.run();
  CHECK(log.lines.size() == 3);
  CHECK(log.lines.back() == "a@3.000000");
}

TEST_CASE("a wait that ends before anything else is due costs no SimGrid round", "[engine]") {
  SimEngine eng;
  Log log;
  spawn(sleeper(log, "a", {1.0, 1.5, 2.0, 3.0}));
  spawn(sleeper(log, "b", {2.0}));
  eng.run();
  // Rounds at 0 (both start; b's start is still queued when a asks for 1),
  // 1 (a, whose wait until 1.5 ends before b's 2: a goes on at 1.5 in the
  // same round, then asks for 2, a tie with b, who asked first) and 2 (b,
  // then a, whose wait until 3 is then the only one: it goes on at once).
  // Without skipping: five rounds, 0, 1, 1.5, 2 and 3. Same order either way.
  CHECK(log.lines == std::vector<std::string>{"a@1.000000", "a@1.500000", "b@2.000000",
                                              "a@2.000000", "a@3.000000"});
  CHECK(eng.rounds() == 3);
  CHECK(eng.resumptions() == 2 + 5);  // every wait is still one resumption
}

namespace {

// Waits until 1 s on a cancellable entry; *token is the engine's.
struct CancellableWait {
  uint64_t* token;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const { SimEngine::get().resume_at(1.0, h, token); }
  void await_resume() const noexcept {}
};

Co<void> cancelled_sleeper(Log& log, uint64_t* token) {
  co_await CancellableWait{token};
  log.add("never");
}

Co<void> canceller(Log& log, uint64_t* token) {
  co_await SimEngine::wait_until(0.5);
  *token = UINT64_MAX;  // what the dispatcher does to a preempted CPU burst
  log.add("cancel");
  co_await SimEngine::wait_until(2.0);
  log.add("after");
}

}  // namespace

// A cancelled wait falls due unresumed: the run goes on past its time with
// nothing resumed there, and it is not counted as a resumption.
TEST_CASE("a cancelled wait is dropped when it falls due", "[engine]") {
  SimEngine eng;
  Log log;
  uint64_t token = 0;
  spawn(cancelled_sleeper(log, &token));
  spawn(canceller(log, &token));
  eng.run();
  CHECK(log.lines == std::vector<std::string>{"cancel@0.500000", "after@2.000000"});
  CHECK(eng.resumptions() == 4);  // the two starts, 0.5 and 2.0
}

TEST_CASE("the pool gives a freed block back to the next request of its 16-byte class",
          "[engine][pool]") {
  void* a = pool_alloc(100);  // class 112
  pool_free(a, 100);
  void* c = pool_alloc(113);  // the next class: not the free block of 112
  CHECK(c != a);
  void* b = pool_alloc(112);  // the same class: that block
  CHECK(b == a);
  CHECK(reinterpret_cast<uintptr_t>(c) % alignof(std::max_align_t) == 0);
  pool_free(b, 112);
  pool_free(c, 113);
  void* big = pool_alloc(5000);  // beyond 2 KiB: malloc's
  CHECK(big != nullptr);
  pool_free(big, 5000);
}

TEST_CASE("a PtrList keeps its order through erase, resize and swap", "[engine][pool]") {
  int x[6];
  PtrList<int*> l;
  CHECK(l.empty());
  CHECK(l.begin() == l.end());
  for (int& i : x) l.push_back(&i);  // past the first block's 4: it grows
  REQUIRE(l.size() == 6);
  l.erase(std::find(l.begin(), l.end(), &x[2]));
  CHECK(std::vector<int*>(l.begin(), l.end()) ==
        std::vector<int*>{&x[0], &x[1], &x[3], &x[4], &x[5]});
  l.erase(l.begin());
  CHECK(l.front() == &x[1]);
  l.resize(2);
  CHECK(std::vector<int*>(l.begin(), l.end()) == std::vector<int*>{&x[1], &x[3]});
  PtrList<int*> m;
  m.swap(l);
  CHECK(l.empty());
  CHECK(m.size() == 2);
  CHECK(m[1] == &x[3]);
  m.clear();
  CHECK(m.empty());
  m.push_back(&x[5]);  // the block kept its room
  CHECK(m.size() == 1);
}

TEST_CASE("a PtrList keeps one item in itself and gives its block back once empty", "[engine][pool]") {
  int x[3];
  PtrList<int*> l;
  static_assert(sizeof(l) == sizeof(int*));
  const char* self = reinterpret_cast<const char*>(&l);
  l.push_back(&x[0]);
  const char* at = reinterpret_cast<const char*>(l.begin());
  CHECK((at >= self && at < self + sizeof(l)));  // no block for one item
  CHECK(l.size() == 1);
  l.push_back(&x[1]);
  l.push_back(&x[2]);
  at = reinterpret_cast<const char*>(l.begin());
  CHECK(!(at >= self && at < self + sizeof(l)));
  CHECK(std::vector<int*>(l.begin(), l.end()) == std::vector<int*>{&x[0], &x[1], &x[2]});
  // The block: a header of 8 bytes, then room for 4 items.
  const void* block = at - 8;
  int** after = l.erase(l.begin());
  CHECK(after == l.begin());
  CHECK(l.front() == &x[1]);
  l.erase(l.begin());
  CHECK(l.size() == 1);
  after = l.erase(l.begin());  // emptied: the block goes back
  CHECK(after == l.end());
  CHECK(l.empty());
  CHECK(l.begin() == l.end());
  if (kPoolCarves) {  // the pool's free list hands the same block out next
    void* again = pool_alloc(8 + 4 * sizeof(int*));
    CHECK(again == block);
    pool_free(again, 8 + 4 * sizeof(int*));
  }
}
