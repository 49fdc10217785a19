// A process of its own that forks a caller's runs, for a caller whose own
// fork() is dear. Two such callers:
// - an MPI worker rank maps ~530 regions (Open MPI's plugins, hwloc's,
//   their libraries: 300 more than forksim before MPI_Init), and the kernel
//   copies every one at each fork and unmaps every one at each run's exit.
//   Its server is a fresh forksim (started with exec, never MPI);
// - a sweep's driver, whose heap grows with every point it keeps and which
//   runs a writer thread: each fork write-protects all of that heap, and
//   every page the driver writes afterwards faults and is copied, each
//   fault a TLB shootdown of the other thread's CPU (perf: the driver's
//   COW faults and forks were half its CPU in a sweep of 3 ms runs). Its
//   servers are forks of it made before the sweep starts, single-threaded
//   and as small as it was then.
//
// The caller drives its servers through a RunPool; a server runs each run
// it is given in a child through local_run_pool, one at a time, starting
// the next it holds the moment one ends, and sends back each outcome, the
// report as its child wrote it. They talk over one Unix stream socket (a
// socketpair: a write to a server that is gone fails, MSG_NOSIGNAL, where
// a pipe's would kill the caller with SIGPIPE). Messages both ways are frames: an
// 8-byte length, then that many bytes. To the server: {"run": id, "raw":
// scenario}, {"signal": n}; closing the socket stops it (a run under way
// is killed). From it: {"id", "status", "error"}, then the report's text
// (maybe empty).
#pragma once
#include <sys/types.h>

#include <memory>
#include <string>

#include "driver/experiment.hpp"
#include "driver/run_pool.hpp"

namespace forksim {

// The server's loop: runs what comes on the socket fd with sim, one at a
// time, until the caller closes it (0) or the socket fails (1).
int serve_runs(const Simulator& sim, int fd);

// The caller's side, over a started server (its pid and the caller's end
// of the socket, owned from here on). It takes `held` runs at a time: one
// going, the others held by the server, which starts the next the moment
// a run ends and only then answers (a run held is stopped by a signal
// before it starts: status 128 + the signal). A server that ends or breaks
// the socket fails the runs it had (status 1, saying so) and every later
// start. The destructor closes the socket and reaps the server (SIGKILL
// after 5 s).
std::unique_ptr<RunPool> run_server_pool(pid_t server, int fd, int held = 1);

// `jobs` servers forked from this process now (no exec: the same code runs
// in the forksim binary and in a test binary), each running sim and
// holding kServerRunsHeld runs: at_once() is `jobs`, jobs() twice that. A
// server that dies fails the run it was running (as above); a new one is
// forked in its place and runs the ones it held. A server dies with this
// process (PR_SET_PDEATHSIG), and its run with it.
constexpr int kServerRunsHeld = 2;
std::unique_ptr<RunPool> forked_run_servers(const Simulator& sim, int jobs);

}  // namespace forksim
