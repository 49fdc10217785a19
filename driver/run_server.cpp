#include "driver/run_server.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

using nlohmann::json;

namespace forksim {
namespace {

constexpr int kPollMs = 100;  // how often a wait looks at its caller's flags
constexpr uint64_t kMostFrame = uint64_t(1) << 34;  // 16 GiB: a length past it is a broken stream

bool send_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t k = ::send(fd, p, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    p += k;
    n -= static_cast<std::size_t>(k);
  }
  return true;
}

bool recv_all(int fd, char* p, std::size_t n) {
  while (n > 0) {
    ssize_t k = ::recv(fd, p, n, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;  // 0: the other end closed
    p += k;
    n -= static_cast<std::size_t>(k);
  }
  return true;
}

bool send_frame(int fd, const std::string& text) {
  uint64_t n = text.size();
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
  return send_all(fd, reinterpret_cast<const char*>(len), sizeof len) && send_all(fd, text.data(), text.size());
}

bool recv_frame(int fd, std::string& text) {
  unsigned char len[8];
  if (!recv_all(fd, reinterpret_cast<char*>(len), sizeof len)) return false;
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(len[i]) << (8 * i);
  if (n > kMostFrame) return false;
  text.assign(static_cast<std::size_t>(n), '\0');
  return recv_all(fd, text.data(), text.size());
}

// Whether fd has something to read (or its end closed) within ms; false
// when the time passed or a signal handler cut the wait short.
bool readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) > 0;
}

bool send_outcome(int fd, const ChildOutcome& o) {
  const std::string head = json{{"id", o.id}, {"status", o.status}, {"error", o.error}}.dump();
  return send_frame(fd, head) && send_frame(fd, o.result ? o.result->dump() : o.result_text);
}

}  // namespace

int serve_runs(const Simulator& sim, int fd) {
  std::unique_ptr<RunPool> pool = local_run_pool(sim, 1);
  std::deque<std::pair<uint64_t, json>> held;  // runs sent while one was going, in order
  // Takes every message waiting: 1 when done, 0 when the caller closed the
  // socket (a run under way dies with the pool), -1 when the stream broke.
  auto take_messages = [&]() -> int {
    while (readable(fd, 0)) {
      std::string text;
      if (!recv_frame(fd, text)) return 0;
      json m = json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (m.is_object() && m.contains("signal") && m["signal"].is_number_integer()) {
        // A run held is stopped before it starts, as an MPI worker's is.
        const int sig = m["signal"].get<int>();
        for (const auto& [id, raw] : held)
          if (!send_outcome(fd, {id, std::nullopt, 128 + sig,
                                 "stopped by signal " + std::to_string(sig) + " before it started", ""}))
            return -1;
        held.clear();
        pool->signal_all(sig);
      } else if (m.is_object() && m.contains("run") && m["run"].is_number_unsigned() && m.contains("raw")) {
        held.emplace_back(m["run"].get<uint64_t>(), std::move(m["raw"]));
      } else {
        return -1;  // not what a caller sends
      }
    }
    return 1;
  };
  // Starts the next run held when none is going; one that cannot start is
  // answered at once.
  auto start_next = [&]() -> bool {
    while (pool->running() == 0 && !held.empty()) {
      auto [id, raw] = std::move(held.front());
      held.pop_front();
      try {
        pool->start(id, raw);
      } catch (const std::exception& e) {
        if (!send_outcome(fd, {id, std::nullopt, 1, e.what(), ""})) return false;
      }
    }
    return true;
  };
  while (true) {
    if (int t = take_messages(); t <= 0) return t == 0 ? 0 : 1;
    if (!start_next()) return 1;
    if (pool->running() == 0) {
      readable(fd, kPollMs);  // until the next message (or a signal handler)
      continue;
    }
    std::optional<ChildOutcome> o = pool->wait_one(/*interruptible=*/true);
    if (!o) continue;  // a signal handler ran, or the poll's time passed
    // The next run before the answer: the core is idle until it starts.
    if (int t = take_messages(); t <= 0) return t == 0 ? 0 : 1;
    if (!start_next() || !send_outcome(fd, *o)) return 1;
  }
}

namespace {

// One server: its pid, the caller's end of its socket, the runs it has.
struct Slot {
  pid_t pid = -1;
  int fd = -1;
  // Sent, not yet answered, with their scenarios: the first going, the
  // others held (sent again to a new server when this one dies).
  std::deque<std::pair<uint64_t, json>> runs;
  std::string broken;  // why it can take no more runs, when it cannot
};

// Closes the slot's socket (the server's loop ends; a run under way is
// killed with its pool) and reaps the server, SIGKILL after 5 s.
void stop_server(Slot& s) {
  if (s.fd >= 0) ::close(s.fd);
  s.fd = -1;
  if (s.pid <= 0) return;
  const auto t0 = std::chrono::steady_clock::now();
  int st;
  while (::waitpid(s.pid, &st, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(5)) {
      ::kill(s.pid, SIGKILL);
      while (::waitpid(s.pid, &st, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  s.pid = -1;
}

// A server forked from this process, as it is now, serving sim; `others`
// are the sockets of its other servers, which the new one must not keep
// open (the caller's close of one would then not end it).
Slot fork_server(const Simulator& sim, const std::vector<Slot>& others) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw std::runtime_error(std::string("socketpair: ") + std::strerror(errno));
  std::fflush(nullptr);  // nothing unwritten printed twice
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    ::close(sv[0]);
    ::close(sv[1]);
    throw std::runtime_error(std::string("fork: ") + std::strerror(e));
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // as a run's: it outlives no driver
    if (::getppid() != parent) _exit(128 + SIGKILL);
    ::close(sv[0]);
    for (const Slot& o : others)
      if (o.fd >= 0) ::close(o.fd);
    _exit(serve_runs(sim, sv[1]));
  }
  ::close(sv[1]);
  return Slot{pid, sv[0], {}, ""};
}

// A server held to one run at a time idles its core from a run's end until
// its answer has gone to the caller and the next run has come back (three
// wake-ups, each a cross-CPU one in a VM): given the next run beforehand,
// it starts it first. (--jobs 1 sweep of 5 x 100 short runs: wall 0.91 of
// one at a time, farm-bench pairs.)
class ServerRunPool : public RunPool {
 public:
  // Over servers already started, each given up to `held` runs at a time
  // (one going, the others held by the server); with `sim`, a server that
  // dies is replaced by a fresh fork.
  ServerRunPool(std::vector<Slot> slots, std::size_t held, const Simulator* sim)
      : slots_(std::move(slots)), held_(held), sim_(sim) {}
  ~ServerRunPool() override {
    for (Slot& s : slots_) stop_server(s);
  }
  int jobs() const override { return static_cast<int>(slots_.size() * held_); }
  int at_once() const override { return static_cast<int>(slots_.size()); }
  std::size_t running() const override {
    std::size_t n = 0;
    for (const Slot& s : slots_) n += s.runs.size();
    return n;
  }

  void start(uint64_t id, const json& raw) override {
    // The server with the fewest runs; a working one before a broken one.
    Slot* to = nullptr;
    for (Slot& s : slots_) {
      if (s.runs.size() >= held_ || (!s.broken.empty() && !s.runs.empty())) continue;
      if (!to || (!to->broken.empty() && s.broken.empty()) ||
          (to->broken.empty() == s.broken.empty() && s.runs.size() < to->runs.size()))
        to = &s;
    }
    if (!to) throw std::logic_error("every run server of the pool has its runs");
    if (!to->broken.empty() && sim_) {
      stop_server(*to);
      *to = fork_server(*sim_, slots_);
    }
    if (!to->broken.empty()) throw std::runtime_error(to->broken);
    if (!send_frame(to->fd, json{{"run", id}, {"raw", raw}}.dump())) {
      broken(*to, "stopped taking runs");
      throw std::runtime_error(to->broken);
    }
    to->runs.emplace_back(id, raw);
  }

  std::optional<ChildOutcome> wait_one(bool interruptible) override {
    return wait(interruptible ? kPollMs : -1);
  }
  std::optional<ChildOutcome> wait_one_for(int ms) override { return wait(std::max(0, ms)); }

  void signal_all(int sig) override {
    for (Slot& s : slots_)
      if (!s.runs.empty() && s.broken.empty()) send_frame(s.fd, json{{"signal", sig}}.dump());
  }

 private:
  // The first outcome within poll_ms (-1: however long it takes).
  std::optional<ChildOutcome> wait(int poll_ms) {
    std::vector<pollfd> fds;
    std::vector<Slot*> busy;
    while (true) {
      fds.clear();
      busy.clear();
      for (Slot& s : slots_) {
        if (s.runs.empty()) continue;
        if (!s.broken.empty()) return failed_run(s);  // the runs of a server gone, one by one
        fds.push_back(pollfd{s.fd, POLLIN, 0});
        busy.push_back(&s);
      }
      if (fds.empty()) return std::nullopt;
      const int n = ::poll(fds.data(), fds.size(), poll_ms);
      if (n <= 0) {  // the time passed, or a signal handler ran
        if (poll_ms >= 0) return std::nullopt;
        continue;
      }
      for (std::size_t i = 0; i < fds.size(); ++i)
        if (fds[i].revents) return take_outcome(*busy[i]);
    }
  }

  ChildOutcome take_outcome(Slot& s) {
    ChildOutcome o;
    std::string head;
    json h;
    if (recv_frame(s.fd, head) && recv_frame(s.fd, o.result_text))
      h = json::parse(head, nullptr, /*allow_exceptions=*/false);
    auto it = s.runs.end();
    if (h.is_object() && h.contains("id") && h["id"].is_number_unsigned())
      it = std::find_if(s.runs.begin(), s.runs.end(),
                        [id = h["id"].get<uint64_t>()](const auto& r) { return r.first == id; });
    if (it == s.runs.end() || !h.contains("status")) {
      broken(s, "ended without the run's outcome");
      ChildOutcome lost = failed_run(s);
      rehome(s);
      return lost;
    }
    o.id = it->first;
    s.runs.erase(it);
    o.status = h.value("status", 1);
    o.error = h.value("error", std::string());
    return o;
  }

  // The runs a broken server held but had not started go to a new server
  // (forked in its place), which starts them as the first would have; with
  // no new server they fail, one by one, as wait_one comes to them.
  void rehome(Slot& s) {
    if (!sim_ || s.runs.empty()) return;
    std::deque<std::pair<uint64_t, json>> held = std::move(s.runs);
    stop_server(s);
    try {
      s = fork_server(*sim_, slots_);
    } catch (const std::exception&) {
      s.runs = std::move(held);  // still broken: they fail
      return;
    }
    for (auto& [id, raw] : held) {
      if (!send_frame(s.fd, json{{"run", id}, {"raw", raw}}.dump())) {
        broken(s, "stopped taking runs");
        s.runs = std::move(held);
        return;
      }
    }
    s.runs = std::move(held);
  }

  // The first run of a broken server's, failed.
  static ChildOutcome failed_run(Slot& s) {
    ChildOutcome o;
    o.id = s.runs.front().first;
    s.runs.pop_front();
    o.status = 1;
    o.error = s.broken;
    return o;
  }

  static void broken(Slot& s, const std::string& what) {
    if (!s.broken.empty()) return;
    s.broken = "the run server (pid " + std::to_string(s.pid) + ") " + what;
    int st = 0;
    if (::waitpid(s.pid, &st, WNOHANG) == s.pid) {
      s.broken += WIFSIGNALED(st) ? ", killed by signal " + std::to_string(WTERMSIG(st))
                                  : ", exit status " + std::to_string(WEXITSTATUS(st));
      s.pid = -1;  // reaped: nothing left for stop_server to wait for
    }
  }

  std::vector<Slot> slots_;
  std::size_t held_;
  const Simulator* sim_;  // for forking a replacement; null: none
};

}  // namespace

std::unique_ptr<RunPool> run_server_pool(pid_t server, int fd, int held) {
  std::vector<Slot> one;
  one.push_back(Slot{server, fd, {}, ""});
  return std::make_unique<ServerRunPool>(std::move(one), static_cast<std::size_t>(std::max(1, held)), nullptr);
}

std::unique_ptr<RunPool> forked_run_servers(const Simulator& sim, int jobs) {
  if (jobs < 1) throw std::invalid_argument("forked_run_servers: jobs must be >= 1");
  std::vector<Slot> slots;
  slots.reserve(static_cast<std::size_t>(jobs));
  try {
    for (int i = 0; i < jobs; ++i) slots.push_back(fork_server(sim, slots));
  } catch (...) {
    for (Slot& s : slots) stop_server(s);
    throw;
  }
  return std::make_unique<ServerRunPool>(std::move(slots), kServerRunsHeld, &sim);
}

}  // namespace forksim
