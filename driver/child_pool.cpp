#include "driver/child_pool.hpp"

#include <pthread.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <vector>

namespace forksim {

namespace {

// Plain read(2)/write(2), not streams: a stream's first use allocates its
// buffer, and that allocation made malloc consolidate the driver's whole
// free list on every run read back (8% of the driver's CPU in a sweep of
// short runs, perf). Each run's outcome goes through a memfd, not a file:
// a file's creation and removal in $TMPDIR (ext4 here) were 3% of a sweep
// of short runs' CPU (perf), two inode operations a run.
// A run's memfd from its start: what its child wrote.
std::string read_back(int fd) {
  std::string s;
  struct stat st;
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) return s;
  s.resize(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::pread(fd, s.data() + done, s.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  s.resize(done);
  return s;
}

// Writes a tag and text to fd in the child; false if any of it failed.
bool write_all(int fd, char tag, const std::string& text) {
  if (::write(fd, &tag, 1) != 1) return false;
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// What a child writes first: its result, or why it has none.
constexpr char kResultTag = 'R', kErrorTag = 'E';

}  // namespace

int available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

ChildPool::ChildPool(int jobs, bool parse_results)
    : jobs_(jobs), parse_results_(parse_results) {
  if (jobs < 1) throw std::invalid_argument("ChildPool: jobs must be >= 1");
}

ChildPool::~ChildPool() {
  for (const auto& [pid, run] : running_) kill(pid, SIGKILL);
  for (const auto& [pid, run] : running_) {
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    ::close(run.fd);
  }
}

void ChildPool::start(uint64_t id, std::function<nlohmann::json()> fn,
                      std::function<int(const nlohmann::json&)> exit_status) {
  if (full()) throw std::logic_error("ChildPool::start on a full pool");
  // The child inherits the parent's unwritten buffers; empty them first so
  // that nothing is printed twice.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  const int fd = ::memfd_create("forksim-run", MFD_CLOEXEC);
  if (fd < 0) throw std::runtime_error(std::string("memfd_create: ") + std::strerror(errno));
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    const int e = errno;
    ::close(fd);
    throw std::runtime_error(std::string("fork: ") + std::strerror(e));
  }
  if (pid == 0) {
    // A run outlives no parent: a driver (or an MPI worker's run server)
    // killed outright takes its runs with it instead of leaving them to
    // run on unseen. (The parent may have gone before the prctl.)
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(128 + SIGKILL);
    int status = 0;
    try {
      nlohmann::json r = fn();
      status = exit_status ? exit_status(r) : 0;
      if (!write_all(fd, kResultTag, r.dump())) status = 1;
    } catch (const std::exception& e) {
      write_all(fd, kErrorTag, e.what());
      status = 1;
    } catch (...) {
      write_all(fd, kErrorTag, "unknown exception");
      status = 1;
    }
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    // Not exit(): the parent's atexit handlers and static destructors are
    // the parent's business.
    _exit(status);
  }
  running_[pid] = {id, fd};
}

namespace {

// waitpid(-1) that gives up, returning 0, when a signal handler runs or
// after kPollS: SIGCHLD is blocked and waited for with sigtimedwait, which
// a handler interrupts whatever its SA_RESTART (signal(7)). The mask comes
// back before returning, so children started later never inherit it.
pid_t wait_interruptibly(int* st) {
  constexpr long kPollNs = 100'000'000;
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &chld, &old);
  pid_t pid = waitpid(-1, st, WNOHANG);
  if (pid == 0) {
    timespec t{0, kPollNs};
    if (sigtimedwait(&chld, nullptr, &t) == SIGCHLD) pid = waitpid(-1, st, WNOHANG);
  }
  int saved = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return pid;
}

}  // namespace

std::optional<ChildOutcome> ChildPool::wait_one(bool interruptible) {
  while (!running_.empty()) {
    int st = 0;
    pid_t pid = interruptible ? wait_interruptibly(&st) : waitpid(-1, &st, 0);
    if (pid == 0) return std::nullopt;  // interruptible: a handler ran, or the poll's time passed
    if (pid < 0) {
      if (errno == EINTR) {
        if (interruptible) return std::nullopt;
        continue;
      }
      throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
    }
    auto it = running_.find(pid);
    if (it == running_.end()) continue;  // not ours (a caller's own child)
    ChildOutcome o;
    o.id = it->second.id;
    std::string text = read_back(it->second.fd);
    ::close(it->second.fd);
    running_.erase(it);
    if (WIFSIGNALED(st)) {
      o.status = 128 + WTERMSIG(st);
      o.error = std::string("killed by signal ") + std::to_string(WTERMSIG(st)) + " (" +
                strsignal(WTERMSIG(st)) + ")";
    } else {
      o.status = WEXITSTATUS(st);
    }
    if (!text.empty() && text[0] == kErrorTag) {
      o.error = text.substr(1);
    } else if (!text.empty()) {
      o.result_text = text.substr(1);
      if (o.result_text.empty()) o.error = "unreadable result: an empty text";
      if (parse_results_) parse_result(o);
    }
    if (!o.result && o.result_text.empty() && o.error.empty())
      o.error = "exited with status " + std::to_string(o.status) + " and no result";
    return o;
  }
  return std::nullopt;
}

void parse_result(ChildOutcome& o) {
  if (o.result_text.empty()) return;
  try {
    o.result = nlohmann::json::parse(o.result_text);
  } catch (const std::exception& e) {
    if (o.error.empty()) o.error = std::string("unreadable result: ") + e.what();
  }
  std::string().swap(o.result_text);
}

void ChildPool::signal_all(int sig) {
  for (const auto& [pid, run] : running_) kill(pid, sig);
}

}  // namespace forksim
