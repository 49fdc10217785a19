#include "driver/run_server.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <thread>

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
  while (true) {
    if (pool->running() > 0) {
      if (std::optional<ChildOutcome> o = pool->wait_one(/*interruptible=*/true))
        if (!send_outcome(fd, *o)) return 1;
      if (!readable(fd, 0)) continue;  // nothing meanwhile (a signal to pass on)
    } else if (!readable(fd, kPollMs)) {
      continue;
    }
    std::string text;
    if (!recv_frame(fd, text)) return 0;  // closed: a run under way dies with the pool
    json m = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (m.is_object() && m.contains("signal") && m["signal"].is_number_integer()) {
      pool->signal_all(m["signal"].get<int>());
    } else if (m.is_object() && m.contains("run") && m["run"].is_number_unsigned() && m.contains("raw")) {
      const uint64_t id = m["run"].get<uint64_t>();
      try {
        if (pool->running() > 0) throw std::logic_error("the run server was sent a run while it had one");
        pool->start(id, m["raw"]);
      } catch (const std::exception& e) {
        if (!send_outcome(fd, {id, std::nullopt, 1, e.what(), ""})) return 1;
      }
    } else {
      return 1;  // not what a caller sends: the stream is broken
    }
  }
}

namespace {

class ServerRunPool : public RunPool {
 public:
  ServerRunPool(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  ~ServerRunPool() override {
    ::close(fd_);  // the server's loop ends; a run under way is killed with its pool
    const auto t0 = std::chrono::steady_clock::now();
    int st;
    while (::waitpid(pid_, &st, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(5)) {
        ::kill(pid_, SIGKILL);
        while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
        }
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  int jobs() const override { return 1; }
  std::size_t running() const override { return run_ ? 1 : 0; }

  void start(uint64_t id, const json& raw) override {
    if (run_) throw std::logic_error("the run server's pool holds one run at a time");
    if (!broken_.empty()) throw std::runtime_error(broken_);
    if (!send_frame(fd_, json{{"run", id}, {"raw", raw}}.dump())) {
      broken("stopped taking runs");
      throw std::runtime_error(broken_);
    }
    run_ = id;
  }

  std::optional<ChildOutcome> wait_one(bool interruptible) override {
    while (run_) {
      if (!readable(fd_, interruptible ? kPollMs : -1)) {
        if (interruptible) return std::nullopt;
        continue;
      }
      ChildOutcome o;
      o.id = *run_;
      run_.reset();
      std::string head;
      json h;
      if (recv_frame(fd_, head) && recv_frame(fd_, o.result_text))
        h = json::parse(head, nullptr, /*allow_exceptions=*/false);
      if (!h.is_object() || !h.contains("status")) {
        broken("ended without the run's outcome");
        o.status = 1;
        o.error = broken_;
        o.result_text.clear();
        return o;
      }
      o.status = h.value("status", 1);
      o.error = h.value("error", std::string());
      return o;
    }
    return std::nullopt;
  }

  void signal_all(int sig) override {
    if (run_ && broken_.empty()) send_frame(fd_, json{{"signal", sig}}.dump());
  }

 private:
  void broken(const std::string& what) {
    if (!broken_.empty()) return;
    broken_ = "the run server (pid " + std::to_string(pid_) + ") " + what;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      broken_ += WIFSIGNALED(st) ? ", killed by signal " + std::to_string(WTERMSIG(st))
                                 : ", exit status " + std::to_string(WEXITSTATUS(st));
      // reaped: the destructor's waitpid finds nothing and returns at once
    }
  }

  pid_t pid_;
  int fd_;
  std::optional<uint64_t> run_;
  std::string broken_;  // why it can take no more runs, when it cannot
};

}  // namespace

std::unique_ptr<RunPool> run_server_pool(pid_t server, int fd) {
  return std::make_unique<ServerRunPool>(server, fd);
}

}  // namespace forksim
