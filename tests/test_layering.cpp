// The layers' include rule (README "Layout"): data flows scenario -> model
// -> probes -> analysis, so the model (models/) includes nothing of the
// scenario format or the command line, and the engine (sim/) nothing above
// it. Checked on the sources, and the check itself on a made-up tree.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Rule {
  const char* layer;                 // a source directory
  std::vector<const char*> banned;   // directories it must not include from
};

const std::vector<Rule> kRules = {
    {"models", {"scenarios/", "cli/"}},
    {"sim", {"models/", "scenarios/", "analysis/", "cli/", "driver/"}},
    // The driver runs simulations only through closures the command line
    // gives it: it knows nothing of SimGrid, the engine or the model.
    {"driver", {"sim/", "models/", "cli/"}},
    {"analysis", {"sim/", "models/", "scenarios/", "cli/", "driver/"}},
    // The host's micro-benchmarks time the real kernel: no engine, no model.
    {"calibrate", {"sim/", "models/", "scenarios/", "analysis/", "cli/", "driver/"}},
    // The benchmarks: forksim_bench sees forksim only through its command
    // line, and the peers' reference model runs on the engine alone, not on
    // the illumos model.
    {"bench", {"models/", "scenarios/", "cli/", "driver/"}},
};

// The one include across the rule today: the dispatcher and the mutexes
// write their statistics into the run's Probes (analysis/probes.hpp, plain
// data). Moving those counters into an engine-owned struct is its own change.
bool known_debt(const std::string& layer, const std::string& included) {
  return layer == "sim" && included == "analysis/probes.hpp";
}

// "sim/x.hpp:3 includes models/kernel.hpp", one for each banned include
// under `root`.
std::vector<std::string> layering_violations(const fs::path& root) {
  static const std::regex include_re(R"re(^\s*#\s*include\s*"([^"]+)")re");
  std::vector<std::string> found;
  for (const Rule& r : kRules) {
    fs::path dir = root / r.layer;
    if (!fs::is_directory(dir)) continue;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      std::ifstream in(f);
      std::string line;
      for (int n = 1; std::getline(in, line); ++n) {
        std::smatch m;
        if (!std::regex_search(line, m, include_re)) continue;
        std::string inc = m[1];
        for (const char* b : r.banned)
          if (inc.rfind(b, 0) == 0 && !known_debt(r.layer, inc))
            found.push_back(std::string(r.layer) + "/" + f.filename().string() + ":" +
                            std::to_string(n) + " includes " + inc);
      }
    }
  }
  return found;
}

void write_source(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

}  // namespace

TEST_CASE("the engine, the model, the analysis and the driver include nothing from above them", "[layering]") {
  std::vector<std::string> v = layering_violations(FORKSIM_SOURCE_DIR);
  INFO(Catch::Detail::stringify(v));
  CHECK(v.empty());
  // The rule has something to look at.
  CHECK(fs::exists(fs::path(FORKSIM_SOURCE_DIR) / "models" / "kernel.hpp"));
  CHECK(fs::exists(fs::path(FORKSIM_SOURCE_DIR) / "driver" / "child_pool.hpp"));
}

TEST_CASE("the layering check names each banned include by file and line", "[layering]") {
  fs::path root = fs::temp_directory_path() / ("forksim-layering-" + std::to_string(::getpid()));
  fs::remove_all(root);
  write_source(root / "models" / "a.hpp",
        "#pragma once\n#include \"sim/dist.hpp\"\n#include \"analysis/probes.hpp\"\n"
        "#include \"scenarios/scenario.hpp\"\n");
  write_source(root / "models" / "b.cpp", "  #  include \"cli/cli.hpp\"\n#include <map>\n");
  write_source(root / "sim" / "c.hpp",
        "#include \"sim/coro.hpp\"\n#include \"analysis/probes.hpp\"\n"
        "#include \"models/kernel.hpp\"\n#include \"analysis/report.hpp\"\n");
  write_source(root / "scenarios" / "d.cpp", "#include \"cli/cli.hpp\"\n");  // no rule for scenarios/
  std::vector<std::string> v = layering_violations(root);
  fs::remove_all(root);
  CHECK(v == std::vector<std::string>{"models/a.hpp:4 includes scenarios/scenario.hpp",
                                      "models/b.cpp:1 includes cli/cli.hpp",
                                      "sim/c.hpp:3 includes models/kernel.hpp",
                                      "sim/c.hpp:4 includes analysis/report.hpp"});
}
