// The report writer (cli/output_file.hpp) and the signal handling
// (cli/interrupt.hpp) at the unit level: every way -o could destroy a file,
// tried on the writer itself; the first and second signal; SimGrid's SIGINT
// handler kept out.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "cli/interrupt.hpp"
#include "cli/monitor.hpp"
#include "cli/output_file.hpp"
#include "sim/engine.hpp"
#include "tests/support.hpp"

using Catch::Matchers::Contains;
using forksim::OutputError;
using forksim::OutputFile;
using forksim::write_output;
using forksim::test::is_char_device;
using forksim::test::names_in;
using forksim::test::read_file;
using forksim::test::TempDir;
using forksim::test::write_text;
namespace fs = std::filesystem;

namespace {

mode_t mode_of(const fs::path& p) {
  struct stat st;
  REQUIRE(stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// The OutputError message `f` throws ("" if none).
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const OutputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a new report gets 0666 minus the umask, and a second write replaces it", "[output]") {
  TempDir d;
  const mode_t old = umask(027);
  write_output((d / "r.json").string(), "first\n");
  umask(old);
  CHECK(read_file(d / "r.json") == "first\n");
  CHECK(mode_of(d / "r.json") == 0640);
  write_output((d / "r.json").string(), "second\n");
  CHECK(read_file(d / "r.json") == "second\n");
  CHECK(names_in(d.path) == std::set<std::string>{"r.json"});  // no temporary left
}

TEST_CASE("a mode-600 report stays 600 when replaced", "[output]") {
  TempDir d;
  write_text(d / "r.json", "old\n");
  REQUIRE(chmod((d / "r.json").c_str(), 0600) == 0);
  write_output((d / "r.json").string(), "new\n");
  CHECK(read_file(d / "r.json") == "new\n");
  CHECK(mode_of(d / "r.json") == 0600);
}

TEST_CASE("a user's PATH.tmp is never consumed", "[output]") {
  TempDir d;
  write_text(d / "r.json.tmp", "MINE");
  write_output((d / "r.json").string(), "report\n");
  CHECK(read_file(d / "r.json") == "report\n");
  CHECK(read_file(d / "r.json.tmp") == "MINE");
  CHECK(names_in(d.path) == std::set<std::string>{"r.json", "r.json.tmp"});
}

TEST_CASE("a link or a file at a would-be temporary name is neither followed nor reused",
          "[output]") {
  TempDir d;
  write_text(d / "victim", "VICTIM");
  write_text(d / "users", "USERS");
  std::vector<std::string> tried;
  int n = 0;
  auto namer = [&](const std::string& prefix) {
    // The first names are taken: a planted link, then a user's file.
    const char* names[] = {"planted", "taken", "free"};
    tried.push_back(prefix + names[n]);
    return prefix + names[n++];
  };
  const fs::path planted = d / ".r.json.planted", taken = d / ".r.json.taken";
  fs::create_symlink(d / "victim", planted);
  fs::create_hard_link(d / "users", taken);
  write_output((d / "r.json").string(), "report\n", namer);
  CHECK(tried.size() == 3);
  CHECK(read_file(d / "r.json") == "report\n");
  CHECK(read_file(d / "victim") == "VICTIM");
  CHECK(fs::is_symlink(planted));
  CHECK(fs::read_symlink(planted) == d / "victim");
  CHECK(read_file(d / "users") == "USERS");
  CHECK(names_in(d.path) == std::set<std::string>{"r.json", "victim", "users", ".r.json.planted",
                                                  ".r.json.taken"});
}

TEST_CASE("a report onto a symbolic link replaces the file it points to and keeps the link",
          "[output]") {
  TempDir d;
  fs::create_directory(d / "runs");
  write_text(d / "runs" / "5.json", "old\n");
  REQUIRE(chmod((d / "runs" / "5.json").c_str(), 0600) == 0);
  fs::create_symlink("runs/5.json", d / "latest.json");
  write_output((d / "latest.json").string(), "new\n");
  CHECK(fs::is_symlink(d / "latest.json"));
  CHECK(fs::read_symlink(d / "latest.json") == "runs/5.json");
  CHECK(read_file(d / "runs" / "5.json") == "new\n");
  CHECK(mode_of(d / "runs" / "5.json") == 0600);
  CHECK(names_in(d / "runs") == std::set<std::string>{"5.json"});
  CHECK(names_in(d.path) == std::set<std::string>{"runs", "latest.json"});
}

TEST_CASE("a symbolic link to nothing is refused, nothing created", "[output]") {
  TempDir d;
  fs::create_symlink("missing.json", d / "latest.json");
  const std::string path = (d / "latest.json").string();
  CHECK_THAT(error_of([&] { write_output(path, "x"); }),
             Contains("-o " + path + ": a symbolic link that does not resolve to a file"));
  CHECK_THAT(error_of([&] { OutputFile o(path); }), Contains("does not resolve"));
  CHECK(names_in(d.path) == std::set<std::string>{"latest.json"});
}

TEST_CASE("/dev/null is written, never replaced", "[output]") {
  if (geteuid() != 0) {
    WARN("skipped: only root could replace /dev/null, so only root can test it is not");
    return;
  }
  REQUIRE(is_char_device("/dev/null"));
  OutputFile o("/dev/null");
  write_output("/dev/null", "report\n");
  CHECK(is_char_device("/dev/null"));
  CHECK(read_file("/dev/null").empty());
}

TEST_CASE("/dev/full reports ENOSPC and stays a device", "[output]") {
  REQUIRE(is_char_device("/dev/full"));
  CHECK(error_of([] { write_output("/dev/full", "report\n"); }) ==
        "-o /dev/full: cannot write: No space left on device");
  CHECK(is_char_device("/dev/full"));
}

TEST_CASE("a FIFO is written directly", "[output]") {
  TempDir d;
  const fs::path fifo = d / "pipe";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  // A reader first, so that opening for writing does not wait for one.
  int rd = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  REQUIRE(rd >= 0);
  write_output(fifo.string(), "through the pipe\n");
  char buf[64] = {};
  ssize_t n = read(rd, buf, sizeof buf - 1);
  close(rd);
  CHECK(std::string(buf, n > 0 ? n : 0) == "through the pipe\n");
  struct stat st;
  REQUIRE(lstat(fifo.c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
}

TEST_CASE("a directory, a missing directory, a socket are refused", "[output]") {
  TempDir d;
  fs::create_directory(d / "dir.json");
  const std::string dir = (d / "dir.json").string();
  CHECK(error_of([&] { OutputFile o(dir); }) == "-o " + dir + ": is a directory");
  CHECK(error_of([&] { write_output(dir, "x"); }) == "-o " + dir + ": is a directory");

  const std::string missing = (d / "no-such-dir" / "r.json").string();
  CHECK(error_of([&] { OutputFile o(missing); }) ==
        "-o " + missing + ": directory " + (d / "no-such-dir").string() +
            ": No such file or directory");

  write_text(d / "file", "");
  const std::string under_file = (d / "file" / "r.json").string();
  CHECK_THAT(error_of([&] { OutputFile o(under_file); }), Contains("Not a directory"));
  CHECK(error_of([] { OutputFile o(""); }) == "-o : an empty path");

  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(s >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string sock = (d / "sock").string();
  REQUIRE(sock.size() < sizeof addr.sun_path);
  std::strcpy(addr.sun_path, sock.c_str());
  REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  close(s);
  CHECK(error_of([&] { OutputFile o(sock); }) ==
        "-o " + sock + ": not a regular file, character device or FIFO");
  CHECK(names_in(d.path) == std::set<std::string>{"dir.json", "file", "sock"});
}

TEST_CASE("a directory that takes no new file is refused before the run", "[output]") {
  // /proc takes no new file, whoever asks: the check that holds for root.
  CHECK(error_of([] { OutputFile o("/proc/forksim-report.json"); }) ==
        "-o /proc/forksim-report.json: cannot create a file in /proc: No such file or directory");
  if (geteuid() == 0) {
    WARN("part skipped: root writes into a mode-555 directory and over a mode-444 file");
    return;
  }
  TempDir d;
  fs::create_directory(d / "ro");
  write_text(d / "ro-file.json", "KEEP");
  REQUIRE(chmod((d / "ro-file.json").c_str(), 0444) == 0);
  REQUIRE(chmod((d / "ro").c_str(), 0555) == 0);
  const std::string in_ro = (d / "ro" / "r.json").string();
  CHECK_THAT(error_of([&] { OutputFile o(in_ro); }), Contains("Permission denied"));
  const std::string ro_file = (d / "ro-file.json").string();
  CHECK(error_of([&] { OutputFile o(ro_file); }) == "-o " + ro_file + ": not writable: Permission denied");
  chmod((d / "ro").c_str(), 0755);
}

TEST_CASE("the check before the run leaves nothing behind", "[output]") {
  TempDir d;
  OutputFile o((d / "r.json").string());
  CHECK_FALSE(o.is_stdout());
  CHECK(names_in(d.path).empty());
}

TEST_CASE("descriptor paths: - and /dev/stdout are stdout, a read-only descriptor is refused",
          "[output]") {
  CHECK(OutputFile("-").is_stdout());
  CHECK(OutputFile("/dev/stdout").is_stdout());
  std::ostringstream out;
  OutputFile("-").write("report\n", out);
  CHECK(out.str() == "report\n");

  int fd = open("/dev/null", O_RDONLY);
  REQUIRE(fd >= 0);
  const std::string path = "/dev/fd/" + std::to_string(fd);
  CHECK(error_of([&] { OutputFile o(path); }) ==
        "-o " + path + ": descriptor " + std::to_string(fd) + " is not open for writing");
  close(fd);
  CHECK_THAT(error_of([] { OutputFile o("/dev/fd/999"); }), Contains("Bad file descriptor"));
}

TEST_CASE("a write that fails leaves the old report as it was, and no temporary", "[output]") {
  TempDir d;
  write_text(d / "r.json", "old\n");
  // A file-size limit fails the write whoever runs the test (root too); in a
  // child, so the limit goes with it.
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {16, 16};
    setrlimit(RLIMIT_FSIZE, &rl);
    std::string err = error_of([&] { write_output((d / "r.json").string(), std::string(1000, 'x')); });
    _exit(err.find("File too large") != std::string::npos ? 0 : 1);
  }
  int w = 0;
  REQUIRE(waitpid(pid, &w, 0) == pid);
  CHECK(WIFEXITED(w));
  CHECK(WEXITSTATUS(w) == 0);
  CHECK(read_file(d / "r.json") == "old\n");
  CHECK(names_in(d.path) == std::set<std::string>{"r.json"});
}

TEST_CASE("a first signal is only recorded, and the monitor stops the run with it", "[signals]") {
  CHECK(forksim::interrupt_signal() == 0);
  forksim::InterruptGuard guard;
  raise(SIGTERM);  // the process lives on
  CHECK(forksim::interrupt_signal() == SIGTERM);
  CHECK(forksim::interrupt_reason(SIGINT) == "interrupted by SIGINT");
  CHECK(forksim::interrupt_reason(SIGTERM) == "interrupted by SIGTERM");

  std::ostringstream err;
  forksim::RunMonitor monitor({}, err);
  forksim::RunStatus st;
  st.sim_time_s = 2.5;
  st.phase = "run";
  CHECK(monitor(st) == "interrupted by SIGTERM in the run at simulated 2.5 s");
}

TEST_CASE("the guard gives the previous handlers back and leaves an ignored signal ignored",
          "[signals]") {
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_DFL);
  {
    forksim::InterruptGuard guard;
    struct sigaction sa;
    sigaction(SIGINT, nullptr, &sa);
    CHECK(sa.sa_handler == SIG_IGN);
    sigaction(SIGTERM, nullptr, &sa);
    CHECK(sa.sa_handler != SIG_DFL);
    raise(SIGINT);
    CHECK(forksim::interrupt_signal() == 0);
  }
  struct sigaction sa;
  sigaction(SIGTERM, nullptr, &sa);
  CHECK(sa.sa_handler == SIG_DFL);
  sigaction(SIGINT, nullptr, &sa);
  CHECK(sa.sa_handler == SIG_IGN);
}

TEST_CASE("a second signal removes the temporary and kills with the signal", "[signals]") {
  TempDir d;
  const fs::path tmp = d / ".r.json.abc.tmp";
  write_text(tmp, "half a report");
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    forksim::InterruptGuard guard;
    forksim::register_temporary(tmp.string());
    raise(SIGINT);
    raise(SIGTERM);
    _exit(0);  // not reached
  }
  int w = 0;
  REQUIRE(waitpid(pid, &w, 0) == pid);
  CHECK(WIFSIGNALED(w));
  CHECK(WTERMSIG(w) == SIGTERM);
  CHECK_FALSE(fs::exists(tmp));
}

TEST_CASE("SimGrid's engine leaves the process's SIGINT handler in place", "[signals]") {
  forksim::InterruptGuard guard;
  struct sigaction before, after;
  sigaction(SIGINT, nullptr, &before);
  forksim::SimEngine engine;
  sigaction(SIGINT, nullptr, &after);
  CHECK(after.sa_handler == before.sa_handler);
  raise(SIGINT);
  CHECK(forksim::interrupt_signal() == SIGINT);
}
