// The driver's child processes (driver/child_pool.hpp): each function runs
// in its own process, its JSON comes back under the caller's id whatever
// the order of completion, and a child that throws, exits non-zero or is
// killed says so instead of returning a result.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <stdexcept>

#include "driver/child_pool.hpp"

using forksim::ChildOutcome;
using forksim::ChildPool;
using nlohmann::json;

TEST_CASE("a pool runs each function in its own process and returns its JSON by id",
          "[driver]") {
  ChildPool pool(2);
  const pid_t parent = getpid();
  std::map<uint64_t, json> got;
  uint64_t next = 0;
  while (next < 7 || pool.running()) {
    if (next < 7 && !pool.full()) {
      uint64_t id = next++;
      // Later ids finish first: the ids, not the order, carry the answer.
      pool.start(id, [id, parent] {
        usleep(static_cast<useconds_t>((7 - id) * 2000));
        return json{{"id", id}, {"square", id * id}, {"own_process", getpid() != parent}};
      });
      CHECK(pool.running() <= 2);
      continue;
    }
    std::optional<ChildOutcome> o = pool.wait_one();
    REQUIRE(o);
    REQUIRE(o->result);
    CHECK(o->status == 0);
    got[o->id] = *o->result;
  }
  REQUIRE(got.size() == 7);
  for (uint64_t i = 0; i < 7; ++i) {
    CHECK(got[i]["square"] == i * i);
    CHECK(got[i]["own_process"] == true);
  }
  CHECK_FALSE(pool.wait_one());
}

TEST_CASE("a child that throws, sets its status or is killed reports it", "[driver]") {
  ChildPool pool(3);
  pool.start(1, []() -> json { throw std::runtime_error("machine.ncpus: must be >= 1"); });
  pool.start(2, [] { return json{{"complete", false}}; },
             [](const json& r) { return r["complete"] == true ? 0 : 3; });
  pool.start(3, []() -> json {
    raise(SIGKILL);
    return json::object();
  });
  CHECK(pool.full());
  CHECK_THROWS_AS(pool.start(4, [] { return json(); }), std::logic_error);
  std::map<uint64_t, ChildOutcome> by_id;
  while (auto o = pool.wait_one()) by_id[o->id] = *o;
  REQUIRE(by_id.size() == 3);
  CHECK(by_id[1].status == 1);
  CHECK_FALSE(by_id[1].result);
  CHECK(by_id[1].error == "machine.ncpus: must be >= 1");
  CHECK(by_id[2].status == 3);
  REQUIRE(by_id[2].result);
  CHECK((*by_id[2].result)["complete"] == false);
  CHECK(by_id[3].status == 128 + SIGKILL);
  CHECK_FALSE(by_id[3].result);
  CHECK(by_id[3].error.find("killed by signal 9") == 0);
}

TEST_CASE("a pool of no jobs is refused", "[driver]") {
  CHECK_THROWS_AS(ChildPool(0), std::invalid_argument);
  CHECK(forksim::available_cpus() >= 1);
}

TEST_CASE("a pool told not to parse returns each result as the child's text", "[driver]") {
  ChildPool pool(1, /*parse_results=*/false);
  pool.start(5, [] { return json{{"x", 0.1}, {"name", "a\nb"}}; });
  std::optional<ChildOutcome> o = pool.wait_one();
  REQUIRE(o);
  CHECK(o->id == 5);
  CHECK(o->status == 0);
  CHECK_FALSE(o->result);
  CHECK(o->error.empty());
  // The child's own dump, byte for byte: the text an MPI worker forwards.
  CHECK(o->result_text == R"({"name":"a\nb","x":0.1})");
  pool.start(6, []() -> json { throw std::runtime_error("no"); });
  o = pool.wait_one();
  REQUIRE(o);
  CHECK(o->status == 1);
  CHECK(o->result_text.empty());
  CHECK(o->error == "no");
}

TEST_CASE("a result kept as text is parsed later, or said to be unreadable", "[driver]") {
  ChildOutcome ok;
  ok.result_text = R"({"complete":true})";
  forksim::parse_result(ok);
  REQUIRE(ok.result);
  CHECK((*ok.result)["complete"] == true);
  CHECK(ok.result_text.empty());
  CHECK(ok.error.empty());
  ChildOutcome cut;
  cut.result_text = R"({"complete":tr)";  // a child killed mid-write
  forksim::parse_result(cut);
  CHECK_FALSE(cut.result);
  CHECK(cut.error.rfind("unreadable result: ", 0) == 0);
  ChildOutcome none;  // nothing to parse: untouched
  forksim::parse_result(none);
  CHECK_FALSE(none.result);
  CHECK(none.error.empty());
}

namespace {
// Whether pid has ended (gone, or a zombie no one has reaped yet).
bool ended(pid_t pid) {
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (!f) return true;
  int got = 0;
  char state = '?';
  if (std::fscanf(f, "%d %*s %c", &got, &state) != 2) state = '?';
  std::fclose(f);
  return state == 'Z' || state == 'X';
}
}  // namespace

TEST_CASE("a child ends with its pool's process when that is killed outright", "[driver]") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t middle = fork();
  REQUIRE(middle >= 0);
  if (middle == 0) {  // a driver with one long run, which says its pid
    ::close(fds[0]);
    ChildPool pool(1);
    const int out = fds[1];
    pool.start(1, [out] {
      const pid_t me = getpid();
      if (write(out, &me, sizeof me) != sizeof me) _exit(1);
      sleep(30);
      return json::object();
    });
    pool.wait_one();
    _exit(0);
  }
  ::close(fds[1]);
  pid_t run = 0;
  REQUIRE(read(fds[0], &run, sizeof run) == sizeof run);
  ::close(fds[0]);
  CHECK_FALSE(ended(run));
  REQUIRE(kill(middle, SIGKILL) == 0);
  int st;
  REQUIRE(waitpid(middle, &st, 0) == middle);
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i, usleep(10000)) gone = ended(run);
  CHECK(gone);
}
