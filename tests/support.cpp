#include "tests/support.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "analysis/report.hpp"
#include "scenarios/workload.hpp"

namespace fs = std::filesystem;

namespace forksim::test {

Scenario scenario(nlohmann::json raw, const std::vector<std::string>& sets) {
  for (const auto& a : sets) apply_override(raw, a);
  return parse_scenario(raw);
}

std::string scenario_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string scenario_error(nlohmann::json raw, const std::vector<std::string>& sets) {
  return scenario_error_of([&] { scenario(std::move(raw), sets); });
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

nlohmann::json run_here(const Scenario& s) {
  Probes p = run_scenario(s);
  RunInfo info;
  info.scenario = s.to_json();
  info.seed = s.seed;
  info.sim_time_s = p.sim_time_s;
  return make_report(info, p);
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "forksim_test_XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
  path = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path, ec);
}

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> v;
  std::error_code ec;
  for (const auto& t : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(t.path() / "children");
    for (pid_t c; in >> c;) v.push_back(c);
  }
  return v;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

void check_golden(const std::string& name, const std::string& actual) {
  const fs::path golden = fs::path(FORKSIM_SOURCE_DIR) / "tests" / "golden" / name;
  const char* update = std::getenv("FORKSIM_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    write_text(golden, actual);
    WARN("rewrote " << golden.string());
  }
  REQUIRE(fs::exists(golden));
  CHECK(actual == read_file(golden));
}

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> s;
  for (const auto& e : fs::directory_iterator(dir)) s.insert(e.path().filename().string());
  return s;
}

bool is_char_device(const fs::path& p) {
  struct stat st;
  return lstat(p.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
}

// Appends s to cmd in single quotes. Appending, not operator+: GCC 12
// warns (-Wrestrict, a false positive) on the temporaries of the latter.
static void shell_quote(std::string& cmd, const std::string& s) {
  cmd += '\'';
  for (char c : s) {
    if (c == '\'')
      cmd.append("'\\''");
    else
      cmd += c;
  }
  cmd += '\'';
}

Result run_cli(const TempDir& dir, const std::vector<std::string>& args) {
  std::string cmd = "cd ";
  shell_quote(cmd, dir.path.string());
  cmd.append(" && ");
  shell_quote(cmd, FORKSIM_BINARY);
  for (const auto& a : args) {
    cmd += ' ';
    shell_quote(cmd, a);
  }
  const fs::path out = dir / ".stdout", err = dir / ".stderr";
  cmd.append(" </dev/null >");
  shell_quote(cmd, out.string());
  cmd.append(" 2>");
  shell_quote(cmd, err.string());
  int w = std::system(cmd.c_str());
  Result r;
  r.status = w == -1 ? -1 : WIFEXITED(w) ? WEXITSTATUS(w) : WIFSIGNALED(w) ? 128 + WTERMSIG(w) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  fs::remove(out);
  fs::remove(err);
  return r;
}

double erlang_c(int c, double a) {
  double term = 1, below = 0;  // term: a^k / k!
  for (int k = 0; k < c; ++k) {
    below += term;
    term *= a / (k + 1);
  }
  double top = term * c / (c - a);
  return top / (below + top);
}

int run_cli_until(const TempDir& dir, std::vector<std::string> args, const std::function<bool(int)>& ready,
                  const std::function<void(int)>& act) {
  args.insert(args.begin(), FORKSIM_BINARY);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (chdir(dir.path.c_str()) != 0) _exit(126);
    int err = open(".stderr", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(err, 2);
    signal(SIGINT, SIG_DFL);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  auto t0 = std::chrono::steady_clock::now();
  while (!ready(pid) && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  act(pid);
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

nlohmann::json run_forksim(const std::vector<std::string>& args) {
  TempDir d;
  std::vector<std::string> all = {"run", "--quiet", "-o", "report.json"};
  all.insert(all.end(), args.begin(), args.end());
  Result r = run_cli(d, all);
  INFO("forksim run " << nlohmann::json(args).dump() << "\nstderr: " << r.err);
  REQUIRE(r.status == 0);
  return nlohmann::json::parse(read_file(d / "report.json"));
}

}  // namespace forksim::test
