#include "driver/merge.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "analysis/scenario_hash.hpp"
#include "driver/replicate.hpp"
#include "driver/vary.hpp"
#include "scenarios/json_text.hpp"
#include "scenarios/scenario.hpp"

using nlohmann::json;

namespace forksim {
namespace {

// The definition's fields in the order a mismatch is looked for: those a
// user chooses first, so that a different seed is named as such rather
// than as a different scenario hash.
const char* const kMismatchOrder[] = {"vary", "zip", "replications", "precision", "seeds",
                                         "scenario_hash", "forksim_version", "git_commit"};

[[noreturn]] void not_a_shard(const std::string& name, const std::string& why) {
  throw MergeError(name + ": not a shard of a sweep: " + why);
}

using Test = bool (json::*)() const noexcept;

// o[key], which must pass `test` (`what` says what it must be).
const json& field(const json& o, const std::string& key, Test test, const char* what,
                  const std::string& name) {
  if (!o.is_object() || !o.contains(key)) not_a_shard(name, "it has no \"" + key + "\"");
  const json& v = o.at(key);
  if (!(v.*test)()) not_a_shard(name, "its \"" + key + "\" is not " + what);
  return v;
}

// The same, null allowed.
const json& nullable(const json& o, const std::string& key, Test test, const char* what,
                     const std::string& name) {
  if (o.is_object() && o.contains(key) && o.at(key).is_null()) return o.at(key);
  return field(o, key, test, what, name);
}

std::string value_text(const json& v) { return printable(v.dump(), 200); }

struct Shard {
  ShardFile* file = nullptr;
  int index = 0, count = 0;
  std::set<std::size_t> declared;  // the shard object's points
  json definition;
  std::string label() const {
    return file->name + " (shard " + std::to_string(index) + "/" + std::to_string(count) + ")";
  }
};

Shard read_shard(ShardFile& f) {
  const json& r = f.result;
  if (!r.is_object() || !r.contains("kind")) not_a_shard(f.name, "it has no \"kind\", so it is no sweep's result");
  if (r.at("kind") != "sweep") not_a_shard(f.name, "its kind is " + value_text(r.at("kind")) + ", not \"sweep\"");
  if (!r.contains("shard"))
    throw MergeError(f.name + ": a whole sweep's result, not a shard (it has no \"shard\" object; "
                              "forksim sweep --shard I/N writes one)");
  Shard s;
  s.file = &f;
  const json& sh = field(r, "shard", &json::is_object, "an object", f.name);
  const json& index = field(sh, "index", &json::is_number_integer, "an integer", f.name);
  const json& count = field(sh, "count", &json::is_number_integer, "an integer", f.name);
  if (count.get<long long>() < 1 || count.get<long long>() > 1000000 || index.get<long long>() < 1 ||
      index.get<long long>() > count.get<long long>())
    not_a_shard(f.name, "its shard is " + index.dump() + "/" + count.dump() + ", not I/N with 1 <= I <= N");
  s.index = index.get<int>();
  s.count = count.get<int>();
  for (const json& i : field(sh, "points", &json::is_array, "an array", f.name)) {
    if (!i.is_number_unsigned()) not_a_shard(f.name, "its shard's points hold " + value_text(i) + ", not an index");
    if (!s.declared.insert(i.get<std::size_t>()).second)
      not_a_shard(f.name, "its shard lists point " + i.dump() + " twice");
  }
  s.definition = result_definition(r, f.name);
  for (const json& p : field(r, "points", &json::is_array, "an array", f.name)) {
    if (!p.is_object()) not_a_shard(f.name, "a point is " + value_text(p) + ", not an object");
    field(p, "index", &json::is_number_unsigned, "an index", f.name);
    field(p, "overrides", &json::is_object, "an object", f.name);
  }
  return s;
}

// The sweep's points as its "vary" and "zip" enumerate them.
std::vector<SweepPoint> enumerate(const json& def, const std::string& name) {
  std::vector<Vary> vary;
  for (const json& v : def.at("vary")) {
    Vary x;
    x.key = field(v, "key", &json::is_string, "a string", name).get<std::string>();
    for (const json& value : field(v, "values", &json::is_array, "an array", name)) {
      x.values.push_back(value);
      x.sets.push_back(x.key + "=" + value.dump());
    }
    vary.push_back(std::move(x));
  }
  try {
    return sweep_points(vary, def.at("zip").get<bool>());
  } catch (const ScenarioError& e) {
    not_a_shard(name, std::string("its \"vary\" is not a sweep's: ") + e.what());
  }
}

std::string index_list(const std::vector<std::size_t>& v) {
  std::string s;
  for (std::size_t k = 0; k < v.size(); ++k) {
    if (k == 20) return s + ", ... (" + std::to_string(v.size()) + " in all)";
    s += (k ? ", " : "") + std::to_string(v[k]);
  }
  return s;
}

// Why each missing point is missing: the shards that declared but did not
// finish it, or those not given at all.
std::string missing_message(const std::vector<std::size_t>& missing, const std::vector<Shard>& shards,
                            std::size_t total) {
  std::string m = "missing point" + std::string(missing.size() > 1 ? "s " : " ") + index_list(missing) +
                  " of the sweep's " + std::to_string(total);
  std::set<int> given;
  std::vector<std::string> stopped;
  for (const Shard& s : shards) {
    given.insert(s.index);
    for (std::size_t i : missing)
      if (s.declared.count(i)) {
        stopped.push_back(s.label());
        break;
      }
  }
  std::vector<std::size_t> absent;
  for (int i = 1; i <= shards[0].count; ++i)
    if (!given.count(i)) absent.push_back(static_cast<std::size_t>(i));
  std::vector<std::string> why;
  if (!absent.empty())
    why.push_back("shard" + std::string(absent.size() > 1 ? "s " : " ") + index_list(absent) + " of " +
                  std::to_string(shards[0].count) + " not given");
  for (const std::string& s : stopped) why.push_back(s + " is incomplete");
  for (std::size_t k = 0; k < why.size(); ++k) m += (k ? "; " : ": ") + why[k];
  return m;
}

}  // namespace

json result_definition(const json& r, const std::string& name) {
  const json& sweep = field(r, "sweep", &json::is_object, "an object", name);
  const json& scenario = field(r, "scenario", &json::is_object, "an object", name);
  const json& manifest = field(r, "manifest", &json::is_object, "an object", name);
  const json& git = nullable(manifest, "git_commit", &json::is_string, "a commit or null", name);
  const json& precision = nullable(sweep, "precision", &json::is_object, "an object or null", name);
  // The seeds the stop rule may use, as many as its most replications.
  const std::size_t most =
      precision.is_null()
          ? field(sweep, "replications", &json::is_number_unsigned, "a count", name).get<std::size_t>()
          : field(precision, "max_replications", &json::is_number_unsigned, "a count", name).get<std::size_t>();
  if (most > 100000) not_a_shard(name, "it asks for " + std::to_string(most) + " replications");
  return {{"vary", field(sweep, "vary", &json::is_array, "an array", name)},
          {"zip", field(sweep, "zip", &json::is_boolean, "a boolean", name)},
          {"replications", field(sweep, "replications", &json::is_number_integer, "an integer", name)},
          {"precision", precision},
          {"seeds", replication_seeds(field(scenario, "seed", &json::is_number_unsigned, "a seed", name).get<uint64_t>(),
                                      most)},
          {"scenario_hash", scenario_hash(scenario)},
          {"forksim_version", field(manifest, "forksim_version", &json::is_string, "a string", name)},
          {"git_commit", git}};
}

Merged merge_shards(std::vector<ShardFile>& files, const PointStore& store) {
  if (files.empty()) throw MergeError("no shards to merge");
  std::vector<Shard> shards;
  for (ShardFile& f : files) shards.push_back(read_shard(f));
  const Shard& first = shards[0];
  for (const Shard& s : shards)
    if (s.count != first.count)
      throw MergeError(s.label() + " and " + first.label() + " are shards of different N (" +
                       std::to_string(s.count) + " and " + std::to_string(first.count) + ")");
  for (const Shard& s : shards)
    for (const char* key : kMismatchOrder)
      if (s.definition.at(key) != first.definition.at(key))
        throw MergeError(first.file->name + " and " + s.file->name +
                         " are shards of different sweeps: their definitions differ in \"" + key + "\" (" +
                         value_text(first.definition.at(key)) + " and " + value_text(s.definition.at(key)) + ")");
  std::map<int, const Shard*> by_index;
  for (const Shard& s : shards) {
    auto [at, fresh] = by_index.emplace(s.index, &s);
    if (!fresh)
      throw MergeError("shard " + std::to_string(s.index) + "/" + std::to_string(s.count) + " is given twice: " +
                       at->second->file->name + " and " + s.file->name);
  }

  const std::size_t total =
      field(first.file->result.at("sweep"), "points", &json::is_number_unsigned, "a count", first.file->name)
          .get<std::size_t>();
  const std::vector<SweepPoint> expected = enumerate(first.file->result.at("sweep"), first.file->name);
  if (expected.size() != total)
    not_a_shard(first.file->name, "its sweep has " + std::to_string(total) + " points but its \"vary\" makes " +
                                      std::to_string(expected.size()));
  struct Found {
    const Shard* shard;
    json* point;
    std::size_t slot;
  };
  std::map<std::size_t, Found> points;
  for (const Shard& s : shards)
    for (std::size_t k = 0; k < s.file->result.at("points").size(); ++k) {
      json& p = s.file->result.at("points")[k];
      const std::size_t i = p.at("index").get<std::size_t>();
      const std::string at = "point " + std::to_string(i);
      if (i >= total) not_a_shard(s.file->name, at + " is past the sweep's " + std::to_string(total) + " points");
      if (!s.declared.count(i)) not_a_shard(s.file->name, at + " is not one of its shard's points");
      if (p.at("overrides") != expected[i].overrides)
        not_a_shard(s.file->name, at + " has the overrides " + value_text(p.at("overrides")) +
                                      ", not the sweep's " + value_text(expected[i].overrides));
      if (k >= s.file->slots.size()) throw std::logic_error("merge_shards: a shard's point has no slot");
      auto [there, fresh] = points.emplace(i, Found{&s, &p, s.file->slots[k]});
      if (!fresh) {
        if (there->second.shard == &s) not_a_shard(s.file->name, at + " is in it twice");
        throw MergeError(at + " is in both " + there->second.shard->label() + " and " + s.label());
      }
    }
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < total; ++i)
    if (!points.count(i)) missing.push_back(i);
  if (!missing.empty()) throw MergeError(missing_message(missing, shards, total));

  Merged m;
  json all = json::array();
  std::size_t most = 0;
  for (const auto& [i, f] : points) {
    most = std::max(most, store.run_count(f.slot));
    all.push_back(std::move(*f.point));  // the shards' digests are given up: no copy
    m.slots.push_back(f.slot);
  }
  bool complete = true;
  std::set<std::size_t> failed;
  for (const auto& [i, s] : by_index) {
    const json& r = s->file->result;
    if (r.contains("complete") && r.at("complete") == false) complete = false;
    if (r.contains("failed_points") && r.at("failed_points").is_array())
      for (const json& f : r.at("failed_points"))
        if (f.is_number_unsigned()) failed.insert(f.get<std::size_t>());
    // Provenance as the shard recorded it; a malformed part is left out
    // rather than carried into the merged manifest.
    const json& manifest = r.at("manifest");
    json prov = {{"index", s->index}, {"command_line", json::array()}};
    if (manifest.contains("command_line") && manifest.at("command_line").is_array())
      for (const json& a : manifest.at("command_line"))
        if (a.is_string()) prov["command_line"].push_back(a);
    if (manifest.contains("host") && manifest.at("host").is_string()) prov["host"] = manifest.at("host");
    m.shards.push_back(std::move(prov));
  }
  json sweep = first.file->result.at("sweep");
  sweep["seeds"] = replication_seeds(first.file->result.at("scenario").at("seed").get<uint64_t>(), most);
  m.result = {{"kind", "sweep"},
              {"schema_version", first.file->result.value("schema_version", 1)},
              {"scenario", first.file->result.at("scenario")},
              {"complete", complete},
              {"failed_points", failed},
              {"sweep", sweep},
              {"points", std::move(all)}};
  return m;
}

}  // namespace forksim
