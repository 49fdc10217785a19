// The run server (driver/run_server.hpp): a process that forks the runs a
// caller sends over a socket and answers with each one's outcome, so that
// an MPI worker's runs are forked from a small process. Here the server is
// a fork of the test running serve_runs over a fake simulator.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "driver/run_server.hpp"
#include "scenarios/scenario.hpp"
#include "tests/support.hpp"

using forksim::ChildOutcome;
using forksim::RunPool;
using forksim::test::children_of;
using nlohmann::json;

namespace {

// A simulator whose run reports its seed and its own pid, sleeping first
// as long as the scenario's duration_s says (in ms of wall time).
forksim::Simulator fake_sim() {
  forksim::Simulator sim;
  sim.run = [](const forksim::Scenario& s) {
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(s.duration_s)));
    return json{{"seed", s.seed}, {"pid", getpid()}, {"ppid", getppid()}, {"complete", true}};
  };
  sim.exit_status = [](const json&) { return 0; };
  return sim;
}

struct Server {
  pid_t pid = -1;
  std::unique_ptr<RunPool> pool;
};

Server start_server() {
  int sv[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(sv[0]);
    _exit(forksim::serve_runs(fake_sim(), sv[1]));
  }
  ::close(sv[1]);
  return {pid, forksim::run_server_pool(pid, sv[0])};
}

json scenario(uint64_t seed, double ms) { return {{"seed", seed}, {"duration_s", ms}}; }

std::optional<ChildOutcome> wait(RunPool& pool) {
  for (int i = 0; i < 100; ++i)  // 100 x 0.1 s at most
    if (std::optional<ChildOutcome> o = pool.wait_one(/*interruptible=*/true)) return o;
  return std::nullopt;
}

// The one server of this process's pool, once it has a run going (its
// child): 5 s at most, then -1.
pid_t server_with_a_run() {
  for (int i = 0; i < 500; ++i) {
    std::vector<pid_t> servers = children_of(getpid());
    if (servers.size() == 1 && !children_of(servers[0]).empty()) return servers[0];
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

}  // namespace

TEST_CASE("a run server runs each run in a child of its own and sends back its report", "[driver]") {
  Server s = start_server();
  CHECK(s.pool->jobs() == 1);
  for (uint64_t seed : {7, 8}) {
    s.pool->start(seed * 10, scenario(seed, 1));
    CHECK(s.pool->running() == 1);
    CHECK_THROWS_AS(s.pool->start(99, scenario(1, 1)), std::logic_error);  // one at a time
    std::optional<ChildOutcome> o = wait(*s.pool);
    REQUIRE(o);
    CHECK(o->id == seed * 10);
    CHECK(o->status == 0);
    CHECK(o->error.empty());
    CHECK_FALSE(o->result);  // the child's text, for the caller to parse
    forksim::parse_result(*o);
    REQUIRE(o->result);
    CHECK((*o->result)["seed"] == seed);
    const pid_t child = (*o->result)["pid"].get<pid_t>();
    CHECK(child != getpid());
    CHECK(child != s.pid);  // a child of the server, not the server itself
  }
  CHECK(s.pool->running() == 0);
}

TEST_CASE("a run server passes a signal to its run, and says what it cannot run", "[driver]") {
  Server s = start_server();
  s.pool->start(1, scenario(1, 5000));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  s.pool->signal_all(SIGKILL);
  std::optional<ChildOutcome> o = wait(*s.pool);
  REQUIRE(o);
  CHECK(o->id == 1);
  CHECK(o->status == 128 + SIGKILL);
  CHECK(o->error.find("killed by signal 9") != std::string::npos);
  s.pool->start(2, json{{"seed", "not a number"}});  // parse_scenario refuses it in the server
  o = wait(*s.pool);
  REQUIRE(o);
  CHECK(o->id == 2);
  CHECK(o->status == 1);
  CHECK(o->error.find("seed") != std::string::npos);
}

TEST_CASE("a run server that dies fails its run and every later one, naming it", "[driver]") {
  Server s = start_server();
  s.pool->start(5, scenario(1, 5000));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  REQUIRE(kill(s.pid, SIGKILL) == 0);
  std::optional<ChildOutcome> o = wait(*s.pool);
  REQUIRE(o);
  CHECK(o->id == 5);
  CHECK(o->status == 1);
  CHECK(o->error == "the run server (pid " + std::to_string(s.pid) +
                        ") ended without the run's outcome, killed by signal 9");
  CHECK(s.pool->running() == 0);
  CHECK_THROWS_WITH(s.pool->start(6, scenario(1, 1)), Catch::Contains("the run server (pid"));
}

TEST_CASE("forked run servers run one run each at a time and hold the next, each a child of a server",
          "[driver]") {
  const forksim::Simulator sim = fake_sim();
  std::unique_ptr<RunPool> pool = forksim::forked_run_servers(sim, 2);
  CHECK(pool->jobs() == 4);  // two servers, each with a run going and the next held
  const auto t0 = std::chrono::steady_clock::now();
  for (uint64_t id = 1; id <= 4; ++id) pool->start(id, scenario(id, 300));
  CHECK(pool->full());
  CHECK_THROWS_AS(pool->start(5, scenario(5, 1)), std::logic_error);
  std::set<uint64_t> ids;
  std::map<pid_t, int> runs_of;  // server: runs
  for (int i = 0; i < 4; ++i) {
    std::optional<ChildOutcome> o = wait(*pool);
    REQUIRE(o);
    CHECK(o->status == 0);
    forksim::parse_result(*o);
    REQUIRE(o->result);
    CHECK((*o->result)["seed"] == o->id);
    ids.insert(o->id);
    const pid_t server = (*o->result)["ppid"].get<pid_t>();
    CHECK(server != getpid());  // the run's parent is a server, not this process
    ++runs_of[server];
  }
  // Two at a time: at least two runs' 300 ms one after the other, and
  // less than the 1,200 ms of four (the slack is for forks under a loaded
  // sanitized build).
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took >= std::chrono::milliseconds(600));
  CHECK(took < std::chrono::milliseconds(1150));
  CHECK(ids == std::set<uint64_t>{1, 2, 3, 4});
  CHECK(runs_of.size() == 2);
  for (const auto& [server, n] : runs_of) CHECK(n == 2);
  CHECK(pool->running() == 0);
  CHECK_FALSE(pool->wait_one(/*interruptible=*/true));  // nothing running: at once
}

TEST_CASE("a run a server holds is stopped by a signal before it starts", "[driver]") {
  const forksim::Simulator sim = fake_sim();
  std::unique_ptr<RunPool> pool = forksim::forked_run_servers(sim, 1);
  pool->start(1, scenario(1, 5000));
  pool->start(2, scenario(2, 5000));
  REQUIRE(server_with_a_run() > 0);  // run 1 going, run 2 held
  pool->signal_all(SIGKILL);
  std::map<uint64_t, ChildOutcome> got;
  for (int i = 0; i < 2; ++i) {
    std::optional<ChildOutcome> o = wait(*pool);
    REQUIRE(o);
    got[o->id] = *o;
  }
  REQUIRE(got.size() == 2);
  CHECK(got[1].status == 128 + SIGKILL);
  CHECK(got[1].error.find("killed by signal 9") != std::string::npos);
  CHECK(got[2].status == 128 + SIGKILL);
  CHECK(got[2].error == "stopped by signal 9 before it started");
  pool->start(3, scenario(3, 1));  // the server goes on
  std::optional<ChildOutcome> o = wait(*pool);
  REQUIRE(o);
  CHECK(o->id == 3);
  CHECK(o->status == 0);
}

TEST_CASE("a forked run server that dies fails its run only, and a new one runs the run it held", "[driver]") {
  const forksim::Simulator sim = fake_sim();
  std::unique_ptr<RunPool> pool = forksim::forked_run_servers(sim, 1);
  pool->start(1, scenario(1, 5000));
  pool->start(2, scenario(2, 1));  // held by the server
  const pid_t server = server_with_a_run();
  REQUIRE(server > 0);
  REQUIRE(kill(server, SIGKILL) == 0);
  std::optional<ChildOutcome> o = wait(*pool);
  REQUIRE(o);
  CHECK(o->id == 1);
  CHECK(o->status == 1);
  CHECK(o->error == "the run server (pid " + std::to_string(server) +
                        ") ended without the run's outcome, killed by signal 9");
  o = wait(*pool);
  REQUIRE(o);
  CHECK(o->id == 2);
  CHECK(o->status == 0);
  forksim::parse_result(*o);
  REQUIRE(o->result);
  CHECK((*o->result)["ppid"].get<pid_t>() != server);  // a new server's child
  pool->start(3, scenario(3, 1));
  o = wait(*pool);
  REQUIRE(o);
  CHECK(o->id == 3);
  CHECK(o->status == 0);
}
