// Comparing results (analysis/compare.hpp) on hand-made reports whose
// figures are worked out by hand, and `forksim compare` on files of them.
// Student-t quantiles from the printed table (t(0.975, 4) = 2.776;
// t(0.975, 7) = 2.365, t(0.975, 8) = 2.306).
#include <catch2/catch.hpp>

#include "analysis/compare.hpp"
#include "tests/support.hpp"

using namespace forksim;
using namespace forksim::test;
using Catch::Detail::Approx;
using nlohmann::json;

namespace {

// A run report as compare reads it: the keys that make it a result and two
// figures.
json report(uint64_t seed, double forks_per_s, double cpu = 0.5) {
  return {{"schema_version", 2},
          {"seed", seed},
          {"scenario", {{"seed", seed}}},
          {"wall_time_s", 0.1 * seed},
          {"throughput", {{"forks_per_s", forks_per_s}}},
          {"cpu", {{"utilization", cpu}}}};
}

json replicated(uint64_t first_seed, const std::vector<double>& forks_per_s) {
  json runs = json::array();
  for (std::size_t i = 0; i < forks_per_s.size(); ++i)
    runs.push_back(report(first_seed + i, forks_per_s[i]));
  return {{"kind", "replicated"}, {"schema_version", 1}, {"runs", runs}};
}

const std::vector<double> kA = {10, 12, 9, 11, 13}, kB = {11, 13, 11, 12, 14};

json sweep(const std::vector<int>& parents) {
  json points = json::array();
  for (int p : parents) {
    json pt = replicated(1, {10.0 * p, 10.0 * p + 1, 10.0 * p + 2});
    points.push_back({{"overrides", {{"workload.parents", p}}}, {"runs", pt["runs"]}});
  }
  return {{"kind", "sweep"}, {"schema_version", 1}, {"points", points}};
}

std::string compare_error(const json& a, const json& b) {
  try {
    compare_results(a, b);
  } catch (const CompareError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string parse_error(const std::string& text) {
  try {
    parse_fail_if(text);
  } catch (const CompareError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

// Differences d = (1, 1, 2, 1, 1): mean 1.2, sd sqrt(0.2) = 0.4472,
// half-width 2.776 x 0.4472 / sqrt(5) = 0.5552.
TEST_CASE("results with the same seeds get a paired t interval", "[compare]") {
  const json c = compare_results(replicated(1, kA), replicated(1, kB));
  CHECK(c["kind"] == "compare");
  CHECK(c["test"] == "paired t (same seeds)");
  CHECK(c["a"]["seeds"] == json::array({1, 2, 3, 4, 5}));
  const json& m = c["metrics"]["throughput.forks_per_s"];
  CHECK(m["a"] == Approx(11));
  CHECK(m["b"] == Approx(12.2));
  CHECK(m["diff"] == Approx(1.2));
  CHECK(m["rel"] == Approx(1.2 / 11));
  CHECK(m["interval"]["sd"] == Approx(0.4472).epsilon(1e-4));
  CHECK(m["interval"]["df"] == 4);
  CHECK(m["interval"]["half_width"] == Approx(0.5552).epsilon(2e-4));
  CHECK(m["interval"]["lo"] == Approx(0.6448).epsilon(2e-4));
  CHECK(m["significant"] == true);
  // cpu.utilization is 0.5 everywhere: no difference, not significant.
  CHECK(c["metrics"]["cpu.utilization"]["diff"] == 0.0);
  CHECK(c["metrics"]["cpu.utilization"]["significant"] == false);
  // What describes a run is no metric.
  CHECK_FALSE(c["metrics"].contains("wall_time_s"));
  CHECK_FALSE(c["metrics"].contains("seed"));
  CHECK(c["metrics"].size() == 2);
}

// Independent samples: variances 2.5 and 1.7, standard error
// sqrt(2.5/5 + 1.7/5) = 0.9165, Welch-Satterthwaite df
// 0.84^2 / (0.5^2/4 + 0.34^2/4) = 7.720, t(0.975, 7.72) = 2.321 between the
// table's 2.365 (7) and 2.306 (8), half-width 2.127: the same means as the
// paired case, and not significant.
TEST_CASE("results with different seeds get Welch's interval", "[compare]") {
  const json c = compare_results(replicated(1, kA), replicated(6, kB));
  CHECK(c["test"] == "Welch t");
  const json& m = c["metrics"]["throughput.forks_per_s"];
  CHECK(m["diff"] == Approx(1.2));
  CHECK(m["interval"]["sd"] == Approx(0.9165).epsilon(1e-4));
  CHECK(m["interval"]["df"] == Approx(7.720).epsilon(1e-4));
  CHECK(m["interval"]["half_width"] == Approx(2.127).epsilon(2e-3));
  CHECK(m["significant"] == false);
}

TEST_CASE("two single runs have no interval and say so", "[compare]") {
  const json c = compare_results(report(1, 100), report(2, 90));
  CHECK(c["test"] == "none (single runs)");
  const json& m = c["metrics"]["throughput.forks_per_s"];
  CHECK(m["diff"] == -10.0);
  CHECK(m["rel"] == Approx(-0.1));
  CHECK(m["interval"].is_null());
  CHECK(m["test"] == "none (single runs)");
  CHECK(m["significant"] == false);
  // A single run against replications has no spread on one side.
  CHECK(compare_results(report(9, 100), replicated(1, kB))["test"] == "none (A has one run)");
  // A relative change from 0 is none.
  CHECK(compare_results(report(1, 0), report(1, 5))["metrics"]["throughput.forks_per_s"]["rel"].is_null());
}

TEST_CASE("a metric not in every run of both sides is listed, not compared", "[compare]") {
  json a = replicated(1, kA), b = replicated(1, kB);
  a["runs"][0]["paths"]["fork1"]["latency_s"]["p999"] = 0.01;
  b["runs"][1]["extra"] = 1;
  b["runs"][3]["cpu"]["busy_s"] = 1;
  for (json* side : {&a, &b})
    for (int i : {0, 1, 2}) (*side)["runs"][i]["window"]["length_s"] = 1;
  for (int i = 0; i < 5; ++i) a["runs"][i]["window"]["start_s"] = 0.1;
  for (int i : {1, 4}) b["runs"][i]["window"]["start_s"] = 0.1;
  const json c2 = compare_results(a, b);
  CHECK(c2["not_compared"] == json{{"paths.fork1.latency_s.p999", "only in A, in 1 of its 5 runs"},
                                   {"extra", "only in B, in 1 of its 5 runs"},
                                   {"cpu.busy_s", "only in B, in 1 of its 5 runs"},
                                   {"window.length_s", "in 3 of A's 5 runs, in 3 of B's 5 runs"},
                                   {"window.start_s", "in 2 of B's 5 runs"}});
  CHECK(c2["metrics"].size() == 2);
}

TEST_CASE("sweeps are compared point by point, matched by their overrides", "[compare]") {
  const json c = compare_results(sweep({1, 2, 4}), sweep({4, 2, 8}));
  REQUIRE(c["points"].size() == 2);
  CHECK(c["points"][0]["overrides"] == json{{"workload.parents", 2}});
  CHECK(c["points"][1]["overrides"] == json{{"workload.parents", 4}});
  CHECK(c["points"][0]["test"] == "paired t (same seeds)");
  CHECK(c["points"][1]["metrics"]["throughput.forks_per_s"]["diff"] == 0.0);
  CHECK(c["points_only_in_a"] == json::array({{{"workload.parents", 1}}}));
  CHECK(c["points_only_in_b"] == json::array({{{"workload.parents", 8}}}));
  CHECK(c["a"] == json{{"kind", "sweep"}, {"points", 3}, {"scenario_hash", nullptr}});
}

TEST_CASE("what is not a result, or cannot be compared, is refused naming why", "[compare]") {
  CHECK(compare_error(json::array(), report(1, 1)) == "A: not a forksim result: a JSON array");
  CHECK(compare_error(report(1, 1), json{{"seed", 1}}) ==
        "B: not a forksim result: no \"schema_version\" (a whole number)");
  CHECK(compare_error(json{{"kind", "compare"}}, report(1, 1)) ==
        "A: not a forksim result: \"kind\" is \"compare\" (a result is a run report, or of kind "
        "\"replicated\" or \"sweep\")");
  CHECK(compare_error(sweep({1}), report(1, 1)) ==
        "A is a sweep and B a run: a sweep compares with a sweep, a run or replicated run with "
        "either of those");
  json r = replicated(1, kA);
  r["runs"][2].erase("seed");
  CHECK(compare_error(r, report(1, 1)) ==
        "A: runs[2]: not a forksim result: no \"seed\" (a whole number)");
  CHECK(compare_error(json{{"kind", "replicated"}}, report(1, 1)) ==
        "A: no \"runs\" (the array of each replication's report)");
  CHECK(compare_error(json{{"kind", "sweep"}, {"points", {{{"runs", 1}}}}}, sweep({1})) ==
        "A: points[0]: no \"overrides\" object");
  json s = sweep({1, 2});
  s["points"][1]["runs"][0]["schema_version"] = -1;
  CHECK(compare_error(sweep({1}), s) ==
        "B: points[1].runs[0]: not a forksim result: no \"schema_version\" (a whole number)");
  CHECK(compare_error(sweep({1}), json{{"kind", "sweep"}}) == "B: no \"points\" array in the sweep");
}

TEST_CASE("fail-if rules are METRIC<THRESHOLD or METRIC>THRESHOLD, % for relative", "[compare]") {
  FailIf r = parse_fail_if("throughput.forks_per_s<-2%");
  CHECK(r.metric == "throughput.forks_per_s");
  CHECK(r.op == '<');
  CHECK(r.threshold == Approx(-0.02));
  CHECK(r.relative);
  r = parse_fail_if(" cpu.utilization > 0.05 ");
  CHECK(r.metric == "cpu.utilization");
  CHECK(r.op == '>');
  CHECK(r.threshold == 0.05);
  CHECK_FALSE(r.relative);
  const std::string tail = "; expected METRIC<THRESHOLD or METRIC>THRESHOLD, a % making it "
                           "relative to A: throughput.forks_per_s<-2%";
  CHECK(parse_error("throughput.forks_per_s") == "--fail-if \"throughput.forks_per_s\": no < or >" + tail);
  CHECK(parse_error("x<=1") == "--fail-if \"x<=1\": one < or > and nothing else (no <=, >=, ==)" + tail);
  CHECK(parse_error("<1") == "--fail-if \"<1\": no metric before <" + tail);
  CHECK(parse_error("x>fast") == "--fail-if \"x>fast\": the threshold \"fast\" is not a number" + tail);
  CHECK(parse_error("x>%") == "--fail-if \"x>%\": the threshold \"\" is not a number" + tail);
  CHECK(parse_error("x>inf") == "--fail-if \"x>inf\": the threshold \"inf\" is not a number" + tail);
}

TEST_CASE("a rule is breached by a significant difference beyond its threshold", "[compare]") {
  const json paired = compare_results(replicated(1, kA), replicated(1, kB));  // +10.9%, significant
  const json welch = compare_results(replicated(1, kA), replicated(6, kB));   // +10.9%, not
  auto breaches = [](const json& c, const std::string& rule) {
    return fail_if_breaches(c, parse_fail_if(rule));
  };
  auto b = breaches(paired, "throughput.forks_per_s>5%");
  REQUIRE(b.size() == 1);
  CHECK(b[0] ==
        "throughput.forks_per_s>5%: B - A = 1.2 (10.9091%), A 11, B 12.2; 95% interval "
        "[0.644711, 1.75529], paired t (same seeds)");
  CHECK(breaches(paired, "throughput.forks_per_s>11%").empty());  // not beyond
  CHECK(breaches(paired, "throughput.forks_per_s<-2%").empty());  // the other direction
  CHECK(breaches(paired, "throughput.forks_per_s>1").size() == 1);  // absolute: 1.2 > 1
  CHECK(breaches(welch, "throughput.forks_per_s>5%").empty());     // beyond, not significant
  // Single runs: the difference itself decides, and the message says so.
  b = breaches(compare_results(report(1, 100), report(2, 90)), "throughput.forks_per_s<-2%");
  REQUIRE(b.size() == 1);
  CHECK(b[0] == "throughput.forks_per_s<-2%: B - A = -10 (-10%), A 100, B 90; none (single runs), "
                "no interval: the difference itself decides");
  // Sweeps: each matched point, named.
  json a = sweep({1, 2}), s = sweep({1, 2});
  for (json& run : s["points"][1]["runs"]) run["throughput"]["forks_per_s"] = run["throughput"]["forks_per_s"].get<double>() * 0.9 - run["seed"].get<double>() * 0.01;
  b = breaches(compare_results(a, s), "throughput.forks_per_s<-5%");
  REQUIRE(b.size() == 1);
  CHECK(b[0].rfind("throughput.forks_per_s<-5%: at workload.parents=2: B - A = ", 0) == 0);
  // A metric the comparison lacks is an error naming it.
  CHECK_THROWS_WITH(breaches(paired, "throughput.forks_per_ss>1"),
                    "--fail-if \"throughput.forks_per_ss>1\": unknown metric \"throughput.forks_per_ss\"");
}

// --- forksim compare --------------------------------------------------------

namespace {

struct Files {
  TempDir d;
  Files() {
    write_text(d / "a.json", replicated(1, kA).dump());
    write_text(d / "b.json", replicated(1, kB).dump());
    write_text(d / "w.json", replicated(6, kB).dump());
    write_text(d / "run.json", report(1, 100).dump());
  }
};

}  // namespace

TEST_CASE("forksim compare prints a table, significant differences first", "[compare][cli]") {
  Files f;
  Result r = run_cli(f.d, {"compare", "a.json", "b.json"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.err.empty());
  CHECK(r.out ==
        "A: a.json (replicated, 5 runs, seeds 1..5)\n"
        "B: b.json (replicated, 5 runs, seeds 1..5)\n"
        "test: paired t (same seeds); 1 of 2 metrics differ significantly; the main figures "
        "(--all: every metric)\n"
        "  metric                    A     B  diff   rel %     95% interval  verdict\n"
        "  throughput.forks_per_s   11  12.2   1.2  +10.91  [0.6447, 1.755]  significant\n"
        "  cpu.utilization         0.5   0.5     0   +0.00           [0, 0]  not significant\n");
}

TEST_CASE("forksim compare's table puts what single runs cannot judge before what is the same",
          "[compare][cli]") {
  TempDir d;
  write_text(d / "a.json", report(1, 100, 0.5).dump());
  json b = report(2, 150, 0.55);
  b["locks"]["pidlock"]["utilization"] = 0.1;
  write_text(d / "b.json", b.dump());
  Result r = run_cli(d, {"compare", "a.json", "b.json"});
  REQUIRE(r.status == 0);
  CHECK(r.out ==
        "A: a.json (run, seed 1)\n"
        "B: b.json (run, seed 2)\n"
        "test: none (single runs); 0 of 2 metrics differ significantly; the main figures "
        "(--all: every metric)\n"
        "  metric                    A     B  diff   rel %  95% interval  verdict\n"
        "  throughput.forks_per_s  100   150    50  +50.00             -  no interval\n"
        "  cpu.utilization         0.5  0.55  0.05  +10.00             -  no interval\n"
        "  not compared: 1 metrics not in every run of both (--json says which)\n");
}

TEST_CASE("forksim compare on sweeps shows each matched point and the others", "[compare][cli]") {
  TempDir d;
  write_text(d / "a.json", sweep({1, 2}).dump());
  write_text(d / "b.json", sweep({2, 4}).dump());
  Result r = run_cli(d, {"compare", "a.json", "b.json", "--all", "--fail-if", "cpu.utilization>0"});
  REQUIRE(r.status == 0);
  CHECK(r.out ==
        "A: a.json (sweep, 2 points)\n"
        "B: b.json (sweep, 2 points)\n"
        "\npoint workload.parents=2\n"
        "test: paired t (same seeds); 0 of 2 metrics differ significantly\n"
        "  metric                    A    B  diff  rel %  95% interval  verdict\n"
        "  cpu.utilization         0.5  0.5     0  +0.00        [0, 0]  not significant\n"
        "  throughput.forks_per_s   21   21     0  +0.00        [0, 0]  not significant\n"
        "\nonly in A: point workload.parents=1\n"
        "\nonly in B: point workload.parents=4\n");
  const json c = json::parse(run_cli(d, {"compare", "a.json", "b.json", "--json"}).out);
  CHECK(c["a"]["file"] == "a.json");
  CHECK(c["points_only_in_b"] == json::array({{{"workload.parents", 4}}}));
}

TEST_CASE("forksim compare --fail-if exits 1 on a breach, naming it", "[compare][cli]") {
  Files f;
  Result r = run_cli(f.d, {"compare", "a.json", "b.json", "--fail-if", "cpu.utilization>0.1",
                           "--fail-if", "throughput.forks_per_s>5%", "--json"});
  CHECK(r.status == 1);
  CHECK(r.err == "forksim compare: --fail-if breached: throughput.forks_per_s>5%: B - A = 1.2 "
                 "(10.9091%), A 11, B 12.2; 95% interval [0.644711, 1.75529], paired t (same seeds)\n");
  const json c = json::parse(r.out);
  CHECK(c["fail_if"] == json::parse(R"x([{"rule": "cpu.utilization>0.1", "breached": false, "breaches": []},
      {"rule": "throughput.forks_per_s>5%", "breached": true, "breaches": [
       "throughput.forks_per_s>5%: B - A = 1.2 (10.9091%), A 11, B 12.2; 95% interval [0.644711, 1.75529], paired t (same seeds)"]}])x"));
  // The same difference from independent seeds is not shown to be real.
  r = run_cli(f.d, {"compare", "a.json", "w.json", "--fail-if", "throughput.forks_per_s>5%"});
  CHECK(r.status == 0);
  CHECK(r.out.find("test: Welch t;") != std::string::npos);
}

TEST_CASE("forksim compare refuses bad files and rules with exit 2, naming them", "[compare][cli]") {
  Files f;
  write_text(f.d / "bad.json", "{\"seed\": 1,");
  write_text(f.d / "empty.json", "{}");
  write_text(f.d / "deep.json", std::string(300, '[') + std::string(300, ']'));
  auto err_of = [&f](const std::vector<std::string>& args) {
    Result r = run_cli(f.d, concat({"compare"}, args));
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    return r.err;
  };
  CHECK(err_of({"a.json", "missing.json"}) == "forksim compare: missing.json: No such file or directory\n");
  CHECK(err_of({"a.json", "."}) == "forksim compare: .: not a regular file\n");
  CHECK(err_of({"deep.json", "a.json"}) == "forksim compare: deep.json: nested deeper than 256 levels\n");
  CHECK(err_of({"bad.json", "a.json"}).rfind("forksim compare: bad.json: not JSON (", 0) == 0);
  CHECK(err_of({"a.json", "empty.json"}) ==
        "forksim compare: empty.json: not a forksim result: no \"schema_version\" (a whole number)\n");
  CHECK(err_of({"a.json"}) == "forksim compare: needs two results, A and B: forksim compare A.json B.json\n");
  CHECK(err_of({"a.json", "b.json", "--fail-if", "throughput.forks_per_ss<-2%"}) ==
        "forksim compare: --fail-if \"throughput.forks_per_ss<-2%\": unknown metric "
        "\"throughput.forks_per_ss\", in neither result; did you mean \"throughput.forks_per_s\"?\n");
  CHECK(err_of({"a.json", "b.json", "--fail-if", "cpu.utilization=1"}).rfind(
            "forksim compare: --fail-if \"cpu.utilization=1\": no < or >", 0) == 0);
  write_text(f.d / "s.json", sweep({1}).dump());
  CHECK(err_of({"a.json", "s.json"}) ==
        "forksim compare: A is a replicated run and B a sweep: a sweep compares with a sweep, a run "
        "or replicated run with either of those\n");
  CHECK(err_of({"a.json", "b.json", "--set", "seed=1"}) == "forksim compare: takes no --set or --unset\n");
  CHECK(err_of({"a.json", "b.json", "run.json"}) ==
        "forksim compare: too many positional options have been specified on the command line\n");
  // A command line's bytes that are not UTF-8 are shown escaped.
  CHECK(err_of({"a.json", "b.json", "--fail-if", "thr\xff<1"}) ==
        "forksim compare: --fail-if \"thr\\xff<1\": unknown metric \"thr\\xff\", in neither result\n");
}
