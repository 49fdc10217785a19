// A process of its own that forks a caller's runs, for a caller whose own
// fork() is dear: an MPI worker rank maps ~530 regions (Open MPI's plugins,
// hwloc's, their libraries: 300 more than forksim before MPI_Init), and the
// kernel copies every one at each fork and unmaps every one at each run's
// exit. The server is a fresh forksim (started with exec, never MPI), so
// each run's fork and exit cost what they do locally.
//
// The caller starts the server (cli/mpi_worker.cpp spawns its own binary
// with the same command line and FORKSIM_RUN_SERVER set), then drives it
// through a RunPool that holds one run at a time; the server runs each in
// a child through local_run_pool and sends back its outcome, the report as
// its child wrote it. They talk over one Unix stream socket (a socketpair:
// a write to a server that is gone fails, MSG_NOSIGNAL, where a pipe's
// would kill the caller with SIGPIPE). Messages both ways are frames: an
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
// of the socket, owned from here on). One run at a time; a server that
// ends or breaks the socket fails the run it had (status 1, saying so) and
// every later start. The destructor closes the socket and reaps the server
// (SIGKILL after 5 s).
std::unique_ptr<RunPool> run_server_pool(pid_t server, int fd);

}  // namespace forksim
