#include "bench/child_run.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace bench {

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A zombie has no VmRSS line.
std::optional<double> vm_rss_mib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // "VmRSS: N kB"
  return std::nullopt;
}

namespace {

// In the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_child(const std::vector<char*>& argv, const sigset_t& old_mask,
                             const char* stdout_path, const char* stderr_path) {
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  int out = open(stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out >= 0) dup2(out, STDOUT_FILENO);
  if (err >= 0) dup2(err, STDERR_FILENO);
  if (out > STDERR_FILENO) close(out);
  if (err > STDERR_FILENO) close(err);
  execv(argv[0], argv.data());
  const char msg[] = "forksim_bench: execv failed\n";
  ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)ignored;
  _exit(127);
}

}  // namespace

ChildRun run_child(const std::vector<std::string>& args, const std::string& stderr_path,
                   const ChildOptions& options) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  sigset_t chld, old_mask;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &old_mask);

  ChildRun r;
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid < 0) {
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0)
    exec_child(argv, old_mask, options.stdout_path.empty() ? "/dev/null" : options.stdout_path.c_str(),
               stderr_path.c_str());

  int status = 0;
  struct rusage ru {};
  for (;;) {
    pid_t w = wait4(pid, &status, WNOHANG, &ru);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) throw std::runtime_error(std::string("wait4: ") + std::strerror(errno));
    double t = since(t0);
    if (auto mib = vm_rss_mib(pid)) r.rss.push_back({t, *mib});
    if (options.on_sample) options.on_sample(pid);
    timespec period{static_cast<time_t>(options.period_s),
                    static_cast<long>((options.period_s - static_cast<time_t>(options.period_s)) * 1e9)};
    sigtimedwait(&chld, nullptr, &period);  // SIGCHLD or the next sample, whichever first
  }
  r.wall_s = since(t0);
  // Unblocking discards the SIGCHLD still pending (its default action is to ignore it).
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);

  r.exited = WIFEXITED(status);
  r.code = r.exited ? WEXITSTATUS(status) : WTERMSIG(status);
  r.maxrss_mib = static_cast<double>(ru.ru_maxrss) / 1024.0;  // Linux: KiB
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
  r.cpu_s = seconds(ru.ru_utime) + seconds(ru.ru_stime);
  return r;
}

std::filesystem::path make_temp_dir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + ".XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp " + tmpl + ": " + std::strerror(errno));
  return tmpl;
}

std::string file_tail(const std::string& path, size_t chars) {
  std::ifstream in(path, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return s.size() > chars ? "..." + s.substr(s.size() - chars) : s;
}

}  // namespace bench
