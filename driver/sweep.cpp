#include "driver/sweep.hpp"
#include "driver/writer_thread.hpp"

#include <algorithm>

#include "analysis/report.hpp"
#include "analysis/scenario_hash.hpp"
#include "generated/git_commit.hpp"
#include "scenarios/scenario.hpp"

using nlohmann::json;

namespace forksim {

SweepPlan plan_sweep(const json& base_raw, const SweepOptions& opt,
                     const std::function<void(const Scenario&)>& check) {
  SweepPlan plan;
  Scenario base = parse_scenario(base_raw);
  plan.base = base.to_json();
  plan.points = sweep_points(opt.vary, opt.zip);
  const std::vector<uint64_t> seeds = replication_seeds(base.seed, opt.rule.most());
  for (std::size_t i = 0; i < plan.points.size(); ++i) {
    const SweepPoint& p = plan.points[i];
    json raw = point_raw(base_raw, p.sets, "sweep " + point_label(i, p), check);
    plan.specs.push_back({std::move(raw), point_label(i, p), seeds, 0});
    plan.indices.push_back(i);
  }
  plan.total = plan.points.size();
  return plan;
}

namespace {

json vary_json(const SweepOptions& opt) {
  json vary = json::array();
  for (const Vary& v : opt.vary) vary.push_back({{"key", v.key}, {"values", v.values}});
  return vary;
}

json precision_json(const StopRule& rule) {
  if (!rule.precision) return nullptr;
  return {{"target", rule.precision->target},
          {"metric", rule.precision->metric},
          {"max_replications", rule.precision->max_replications}};
}

// The definition's fields in the order a mismatch names them: the options
// first, so that a different --seed is named as "seeds" before the hash of
// the scenario that also holds it.
const char* const kDefinitionFields[] = {"vary",         "zip",  "replications",   "precision",
                                         "level",        "seeds", "scenario_hash", "forksim_version",
                                         "git_commit",   "shard_points"};

}  // namespace

json sweep_definition(const SweepPlan& plan, const SweepOptions& opt) {
  const std::string commit = FORKSIM_GIT_COMMIT;
  json d = {{"scenario_hash", scenario_hash(plan.base)},
          {"vary", vary_json(opt)},
          {"zip", opt.zip},
          {"replications", opt.rule.replications},
          {"precision", precision_json(opt.rule)},
          {"level", opt.rule.level},
          {"seeds", replication_seeds(plan.base.at("seed").get<uint64_t>(), opt.rule.most())},
          {"forksim_version", kForksimVersion},
          {"git_commit", commit.empty() ? json(nullptr) : json(commit)}};
  // A shard's log holds its own points only: another shard's must not
  // resume from it.
  if (plan.indices.size() != plan.total) d["shard_points"] = plan.indices;
  return d;
}

std::string sweep_definition_hash(const json& definition) { return scenario_hash(definition); }

std::vector<std::string> definition_differences(const json& a, const std::string& a_label, const json& b,
                                                const std::string& b_label) {
  std::vector<std::string> out;
  for (const char* f : kDefinitionFields) {
    json x = a.value(f, json()), y = b.value(f, json());
    if (x == y) continue;
    std::string d = f;
    if (x.dump().size() + y.dump().size() <= 120)
      d += " (" + x.dump() + " " + a_label + ", " + y.dump() + " " + b_label + ")";
    out.push_back(d);
  }
  return out;
}

std::optional<std::size_t> position_of(const SweepPlan& plan, std::size_t index) {
  auto it = std::find(plan.indices.begin(), plan.indices.end(), index);
  if (it == plan.indices.end()) return std::nullopt;
  return static_cast<std::size_t>(it - plan.indices.begin());
}

json sweep_point_json(std::size_t index, const SweepPoint& p, PointResult&& r, const StopRule& rule,
                      int jobs) {
  if (r.failed)
    return {{"index", index},
            {"overrides", p.overrides},
            {"failed", {{"status", r.failed->status}, {"message", r.failed->message}}}};
  json j = point_json(std::move(r), rule, jobs);
  j["index"] = index;
  j["overrides"] = p.overrides;
  j["sets"] = p.sets;
  return j;
}

Outcome run_sweep(const SweepPlan& plan, const SweepOptions& opt, const ExperimentContext& ctx,
                  const std::vector<std::size_t>& indices, const std::function<void(const json&)>& on_point,
                  const std::function<bool()>& budget_spent) {
  std::vector<PointSpec> specs;
  for (std::size_t i : indices) specs.push_back(plan.specs.at(i));
  FailurePolicy failures{true, budget_spent};
  // The hand-off (the point's JSON, then on_point: the log and the store)
  // runs beside the scheduler, which meanwhile reaps and starts runs.
  WriterThread writer;
  Outcome o = run_points(
      specs, opt.rule, ctx,
      [&](std::size_t k, PointResult& r) {
        if (!on_point) return;
        const std::size_t i = indices[k];
        // The runs move to the writer (only they: the scheduler reads the
        // rest of r); it owns them until the point is on disk.
        PointResult mine;
        mine.runs.swap(r.runs);
        mine.seeds = r.seeds;
        mine.stopped = r.stopped;
        mine.decided = r.decided;
        mine.failed = r.failed;
        writer.post([&, i, mine = std::move(mine)]() mutable {
          on_point(sweep_point_json(plan.indices[i], plan.points[i], std::move(mine), opt.rule, ctx.jobs));
        });
      },
      failures);
  writer.finish();
  return o;
}

std::size_t SweepTable::count() const {
  std::size_t n = 0;
  for (const auto& s : slots) n += s.has_value();
  return n;
}

std::vector<std::size_t> SweepTable::in_order() const {
  std::vector<std::size_t> v;
  for (const auto& s : slots)
    if (s) v.push_back(*s);
  return v;
}

json point_digest(const json& point) {
  if (!point.is_object()) return point;
  json d = json::object();
  for (auto it = point.begin(); it != point.end(); ++it)
    if (it.key() != "runs") d[it.key()] = it.value();
  return d;
}

json sweep_json(const SweepPlan& plan, const SweepOptions& opt, SweepTable& table) {
  json points = json::array(), failed = json::array();
  std::size_t most = 0;
  bool complete = table.slots.size() == plan.points.size();
  for (const std::size_t slot : table.in_order()) {
    json p = std::move(table.digests.at(slot));
    if (p.contains("failed")) {
      failed.push_back(p.at("index"));
    } else {
      most = std::max(most, p.at("replications").at("n").get<std::size_t>());
    }
    points.push_back(std::move(p));
  }
  complete = complete && failed.empty() && points.size() == plan.points.size();
  uint64_t seed0 = plan.base.at("seed").get<uint64_t>();
  return {{"kind", "sweep"},
          {"schema_version", 1},
          {"scenario", plan.base},
          {"complete", complete},
          {"failed_points", failed},
          {"sweep",
           {{"vary", vary_json(opt)},
            {"zip", opt.zip},
            {"replications", opt.rule.replications},
            {"precision", precision_json(opt.rule)},
            {"seeds", replication_seeds(seed0, most)},
            {"points", plan.total}}},
          {"points", std::move(points)}};
}

namespace {

// A CSV field (RFC 4180): quoted when it holds a comma, a quote, a line
// break or edge spaces; a string as it is, anything else as JSON.
std::string csv_field(const json& v) {
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (s.find_first_of(",\"\r\n") == std::string::npos && (s.empty() || (s.front() != ' ' && s.back() != ' ')))
    return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::string sweep_csv(const json& sweep) {
  std::vector<std::string> keys;
  for (const json& v : sweep.at("sweep").at("vary")) keys.push_back(v.at("key"));
  std::string out;
  for (const std::string& k : keys) out += csv_field(k) + ",";
  out += "metric,mean,half_width,n\n";
  for (const json& p : sweep.at("points")) {
    if (p.contains("failed")) continue;
    std::string prefix;
    for (const std::string& k : keys) prefix += csv_field(p.at("overrides").at(k)) + ",";
    for (const auto& [name, iv] : p.at("metrics").items()) {
      const json& hw = iv.at("half_width");
      out += prefix + csv_field(name) + "," + iv.at("mean").dump() + "," +
             (hw.is_null() ? std::string() : hw.dump()) + "," + iv.at("n").dump() + "\n";
    }
  }
  return out;
}

}  // namespace forksim
