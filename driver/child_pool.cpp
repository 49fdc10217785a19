#include "driver/child_pool.hpp"
#include "driver/temp_path.hpp"

#include <pthread.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <vector>

namespace forksim {
namespace fs = std::filesystem;

namespace {

std::string make_private_dir() {
  std::string templ = temp_template("forksim-pool-");
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data()))
    throw std::runtime_error("cannot make a temporary directory for the runs (" + templ +
                             "): " + std::strerror(errno));
  return buf.data();
}

// Plain read(2)/write(2), not streams: a stream's first use allocates its
// buffer, and that allocation made malloc consolidate the driver's whole
// free list on every run read back (8% of the driver's CPU in a sweep of
// short runs, perf).
std::string slurp(const std::string& path) {
  std::string s;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return s;
  struct stat st;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) s.reserve(static_cast<std::size_t>(st.st_size));
  char buf[1 << 16];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    s.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return s;
}

// Writes text to path in the child; false if any of it failed.
bool write_all(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  return ::close(fd) == 0 && done == text.size();
}

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
    : jobs_(jobs), parse_results_(parse_results), dir_(make_private_dir()) {
  if (jobs < 1) throw std::invalid_argument("ChildPool: jobs must be >= 1");
}

ChildPool::~ChildPool() {
  for (const auto& [pid, id] : running_) kill(pid, SIGKILL);
  for (const auto& [pid, id] : running_) {
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string ChildPool::result_path(uint64_t id) const {
  return dir_ + "/" + std::to_string(id) + ".json";
}

void ChildPool::start(uint64_t id, std::function<nlohmann::json()> fn,
                      std::function<int(const nlohmann::json&)> exit_status) {
  if (full()) throw std::logic_error("ChildPool::start on a full pool");
  // The child inherits the parent's unwritten buffers; empty them first so
  // that nothing is printed twice.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
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
      if (!write_all(result_path(id), r.dump())) status = 1;
    } catch (const std::exception& e) {
      write_all(result_path(id) + ".err", e.what());
      status = 1;
    } catch (...) {
      write_all(result_path(id) + ".err", "unknown exception");
      status = 1;
    }
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    // Not exit(): the parent's atexit handlers and static destructors are
    // the parent's business.
    _exit(status);
  }
  running_[pid] = id;
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
    o.id = it->second;
    running_.erase(it);
    const std::string path = result_path(o.id);
    if (WIFSIGNALED(st)) {
      o.status = 128 + WTERMSIG(st);
      o.error = std::string("killed by signal ") + std::to_string(WTERMSIG(st)) + " (" +
                strsignal(WTERMSIG(st)) + ")";
    } else {
      o.status = WEXITSTATUS(st);
    }
    std::error_code ec;
    if (fs::exists(path, ec)) {
      o.result_text = slurp(path);
      if (o.result_text.empty()) o.error = "unreadable result: an empty file";
      if (parse_results_) parse_result(o);
      fs::remove(path, ec);
    }
    if (fs::exists(path + ".err", ec)) {
      o.error = slurp(path + ".err");
      fs::remove(path + ".err", ec);
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
  for (const auto& [pid, id] : running_) kill(pid, sig);
}

}  // namespace forksim
