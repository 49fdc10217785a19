#include "scenarios/scenario.hpp"

#include "scenarios/calibration_key.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <set>
#include <sstream>

#include "models/steps.hpp"
#include "scenarios/json_text.hpp"
#include "scenarios/suggest.hpp"

namespace forksim {

using json = nlohmann::json;

namespace {

constexpr double kInf = HUGE_VAL;

// Shortest readable form for messages: 16, 0.5, 999999 (not 16.000000).
std::string num_str(double x) {
  std::ostringstream o;
  o.precision(15);
  o << x;
  return o.str();
}

// ---------------------------------------------------------------------------
// Values, each checked at the dotted key it was found under.

// Allowed range of a number; an out-of-range value's message states it.
struct Bounds {
  double lo = -kInf;
  double hi = kInf;
  bool lo_open = false;  // lo itself is excluded
};
Bounds at_least(double lo) { return {lo, kInf, false}; }
Bounds above(double lo) { return {lo, kInf, true}; }
Bounds between(double lo, double hi) { return {lo, hi, false}; }

void check_bounds(double x, const std::string& key, const Bounds& b) {
  bool ok = (b.lo_open ? x > b.lo : x >= b.lo) && x <= b.hi;
  if (ok) return;
  std::string want = b.hi < kInf
                         ? "between " + num_str(b.lo) + " and " + num_str(b.hi)
                         : (b.lo_open ? "> " : ">= ") + num_str(b.lo);
  throw ScenarioError(key, "must be " + want + ", got " + num_str(x));
}

double to_number(const json& v, const std::string& key, const Bounds& b) {
  require(v.is_number(), key, "expected a number, got " + type_of(v));
  double x = v.get<double>();
  require(std::isfinite(x), key, "must be a finite number");
  check_bounds(x, key, b);
  return x;
}

// A whole number; 16.0 counts as one (JSON writers may print it so).
double to_integral(const json& v, const std::string& key, const Bounds& b) {
  require(v.is_number(), key, "expected an integer, got " + type_of(v));
  double x = v.get<double>();
  require(std::isfinite(x) && std::floor(x) == x, key,
          "expected an integer, got " + num_str(x));
  check_bounds(x, key, b);
  return x;
}

int to_int(const json& v, const std::string& key, const Bounds& b) {
  double x = to_integral(v, key, b);
  require(x >= INT_MIN && x <= INT_MAX, key, "out of range for an integer, got " + num_str(x));
  return static_cast<int>(x);
}

// Seeds use the full 64 bits, which a double cannot hold: take JSON's
// unsigned integers as they are.
uint64_t to_seed(const json& v, const std::string& key) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  double x = to_integral(v, key, at_least(0));
  require(x < 0x1p64, key, "too large for a 64-bit seed");
  return static_cast<uint64_t>(x);
}

// ---------------------------------------------------------------------------
// Objects.

// Reads the keys of one JSON object (nullptr: an absent one, read as empty).
// Every key read is marked used, so that finish() can report the ones nothing
// asked for: a typo is an error, never a silently ignored setting. The typed
// readers leave `out` alone when the key is absent (the struct's default
// stands) and return whether it was present. Every key asked for, present or
// not, is a valid key of this object: an unknown key is matched against them
// for a suggestion.
class ObjReader {
 public:
  ObjReader(const json* j, std::string path) : j_(j), path_(std::move(path)) {
    if (j_ && !j_->is_object())
      throw ScenarioError(path_, (path_.empty() ? "a scenario must be a JSON object, got "
                                                : "expected an object, got ") +
                                     type_of(*j_));
  }

  std::string key(const std::string& k) const {
    return path_.empty() ? printable(k) : path_ + "." + printable(k);
  }
  bool has(const std::string& k) const { return j_ && j_->contains(k); }

  const json* find(const std::string& k) {
    if (std::find(asked_.begin(), asked_.end(), k) == asked_.end()) asked_.push_back(k);
    if (!has(k)) return nullptr;
    used_.insert(k);
    return &(*j_)[k];
  }

  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    if (j_)
      for (const auto& item : j_->items()) out.push_back(item.key());
    return out;
  }

  ObjReader child(const std::string& k) { return ObjReader(find(k), key(k)); }

  bool number(const std::string& k, double& out, const Bounds& b) {
    const json* v = find(k);
    if (v) out = to_number(*v, key(k), b);
    return v != nullptr;
  }
  bool integer(const std::string& k, int& out, const Bounds& b) {
    const json* v = find(k);
    if (v) out = to_int(*v, key(k), b);
    return v != nullptr;
  }
  bool boolean(const std::string& k, bool& out) {
    const json* v = find(k);
    if (!v) return false;
    require(v->is_boolean(), key(k), "expected a boolean, got " + type_of(*v));
    out = v->get<bool>();
    return true;
  }
  bool string(const std::string& k, std::string& out) {
    const json* v = find(k);
    if (!v) return false;
    require(v->is_string(), key(k), "expected a string, got " + type_of(*v));
    // The reader guarantees UTF-8; a caller's JSON may not, and the report
    // could not be written.
    require(is_valid_utf8(v->get_ref<const std::string&>()), key(k),
            "not valid UTF-8: " + type_of(*v));
    out = v->get<std::string>();
    return true;
  }
  bool choice(const std::string& k, std::string& out, const std::vector<std::string>& allowed) {
    std::string s;
    if (!string(k, s)) return false;
    if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + in_quotes(a);
      throw ScenarioError(key(k), "must be one of " + list + "; got " + in_quotes(s) +
                                      did_you_mean(s, allowed));
    }
    out = s;
    return true;
  }
  bool dist(const std::string& k, Dist& out);

  void finish(const std::string& reason = "unknown key") const {
    for (const auto& k : keys())
      if (!used_.count(k)) throw ScenarioError(key(k), reason + did_you_mean(k, asked_));
  }

 private:
  const json* j_;
  std::string path_;
  std::set<std::string> used_;
  std::vector<std::string> asked_;  // in the order asked, for stable suggestions
};

// ---------------------------------------------------------------------------
// Distributions: a number (fixed) or {"dist": NAME, ...its fields}.

const char* dist_name(Dist::Kind k) {
  switch (k) {
    case Dist::Kind::Fixed: return "fixed";
    case Dist::Kind::Exponential: return "exponential";
    case Dist::Kind::Uniform: return "uniform";
    case Dist::Kind::Lognormal: return "lognormal";
  }
  return "fixed";
}

// Bounds that keep every draw finite, and far enough from overflow that the
// sums and conversions after it (nanoseconds to seconds, time + delay) stay
// finite too. A value, mean, min or max is at most kMaxDistValue in its key's
// unit (1e15 s is 31 million years; 1e15 ns, 11.6 days for one step), and a
// lognormal's cv at most kMaxCv. The largest draws are then: exponential,
// mean * 54 ln 2 = 37.4 * mean (Rng::uniform01 is never below 2^-54);
// lognormal, mean * exp(13 sigma - sigma^2 / 2) with sigma^2 = ln(1 + cv^2)
// (the polar method cannot give a normal deviate beyond 12.2 from 53-bit
// variates), at most 5.2e23 * mean with cv <= 1e6 (cv 1e200 would make
// cv^2 infinite and every draw NaN).
constexpr double kMaxDistValue = 1e15;
constexpr double kMaxCv = 1e6;

// The fields of each named distribution, as its JSON object spells them.
const std::vector<std::pair<std::string, std::vector<std::string>>> kDistFields = {
    {"exponential", {"mean"}}, {"uniform", {"min", "max"}}, {"lognormal", {"mean", "cv"}}};

// A number of a distribution, within its bound (above).
double dist_number(const json& v, const std::string& key, double limit) {
  double x = to_number(v, key, at_least(0));
  require(x <= limit, key,
              "must be at most " + num_str(limit) + ", so that every draw is a finite time; got " +
                  num_str(x));
  return x;
}

Dist to_dist(const json& v, const std::string& key) {
  if (v.is_number()) return Dist::fixed(dist_number(v, key, kMaxDistValue));
  require(v.is_object(), key, "expected a number or a distribution object, got " + type_of(v));
  ObjReader r(&v, key);
  std::string name;
  if (!r.choice("dist", name, {"exponential", "uniform", "lognormal"}))
    throw ScenarioError(r.key("dist"), "missing: say \"exponential\", \"uniform\" or \"lognormal\"");
  const std::vector<std::string>* fields = nullptr;
  for (const auto& [n, f] : kDistFields)
    if (n == name) fields = &f;
  // A misspelt field is named as such, not reported as a missing one.
  for (const auto& k : r.keys())
    if (k != "dist" && std::find(fields->begin(), fields->end(), k) == fields->end())
      throw ScenarioError(r.key(k), "not a field of the " + name + " distribution" +
                                        did_you_mean(k, *fields));
  auto field = [&](const std::string& k) {
    const json* x = r.find(k);
    if (!x) throw ScenarioError(r.key(k), "missing: the " + name + " distribution needs it");
    return dist_number(*x, r.key(k), k == "cv" ? kMaxCv : kMaxDistValue);
  };
  Dist d;
  if (name == "exponential") {
    d = Dist::exponential(field("mean"));
  } else if (name == "uniform") {
    double lo = field("min"), hi = field("max");
    require(hi >= lo, r.key("max"), "must be >= min (" + num_str(lo) + "), got " + num_str(hi));
    d = Dist::uniform(lo, hi);
  } else {
    double mean = field("mean");
    d = Dist::lognormal(mean, field("cv"));
  }
  return d;
}

bool ObjReader::dist(const std::string& k, Dist& out) {
  const json* v = find(k);
  if (v) out = to_dist(*v, key(k));
  return v != nullptr;
}

json dist_to_json(const Dist& d) {
  switch (d.kind) {
    case Dist::Kind::Fixed: return d.a;
    case Dist::Kind::Exponential: return {{"dist", dist_name(d.kind)}, {"mean", d.a}};
    case Dist::Kind::Uniform: return {{"dist", dist_name(d.kind)}, {"min", d.a}, {"max", d.b}};
    case Dist::Kind::Lognormal: return {{"dist", dist_name(d.kind)}, {"mean", d.a}, {"cv", d.b}};
  }
  return d.a;
}

// ---------------------------------------------------------------------------
// Sections.

Machine parse_machine(ObjReader r) {
  Machine m;
  r.integer("ncpus", m.ncpus, between(1, 4096));
  r.number("cpu_speed", m.cpu_speed, above(0));
  r.integer("hz", m.hz, between(1, 100000));
  r.number("physmem_mb", m.physmem_mb, above(0));
  r.number("swap_mb", m.swap_mb, at_least(0));
  r.integer("system_procs", m.system_procs, at_least(1));
  require(!r.has("ts_quantum_ms"), r.key("ts_quantum_ms"),
          "retired: quanta now come from illumos's ts_dptbl per priority level (20 ticks at "
          "level 0 down to 2 at 59, at machine.hz); scale them with machine.ts_quantum_scale");
  r.number("ts_quantum_scale", m.ts_quantum_scale, above(0));
  r.finish();
  return m;
}

// illumos param.c: maxusers follows physical memory, and the process table
// follows maxusers unless set.
int default_max_nprocs(const Machine& m, int pidmax) {
  double maxusers = std::clamp(std::floor(m.physmem_mb), 8.0, 2048.0);
  return std::min(10 + 16 * static_cast<int>(maxusers), pidmax);
}

Tunables parse_tunables(ObjReader r, const Machine& m) {
  Tunables t;
  r.integer("pidmax", t.pidmax, between(266, 999999));

  std::string procs = "machine.system_procs (" + std::to_string(m.system_procs) + ")";
  if (r.integer("max_nprocs", t.max_nprocs, at_least(1))) {
    require(t.max_nprocs <= t.pidmax, r.key("max_nprocs"),
            "must be <= pidmax (" + std::to_string(t.pidmax) + "), got " +
                std::to_string(t.max_nprocs));
    require(t.max_nprocs > m.system_procs, r.key("max_nprocs"),
            "must be > " + procs + ", got " + std::to_string(t.max_nprocs));
  } else {
    t.max_nprocs = default_max_nprocs(m, t.pidmax);
    require(t.max_nprocs > m.system_procs, r.key("max_nprocs"),
            "the default for this machine, " + std::to_string(t.max_nprocs) +
                ", is not > " + procs + "; set it or lower machine.system_procs");
  }

  r.integer("reserved_procs", t.reserved_procs, between(0, t.max_nprocs - 1));

  int maxup = t.max_nprocs - t.reserved_procs;
  t.maxuprc = maxup;
  if (r.integer("maxuprc", t.maxuprc, at_least(1)))
    require(t.maxuprc <= maxup, r.key("maxuprc"),
            "must be <= max_nprocs - reserved_procs (" + std::to_string(maxup) + "), got " +
                std::to_string(t.maxuprc));

  // Refused rather than ignored: a setting that does nothing must not look
  // as if it did.
  require(!r.has("minarmem_pages"), r.key("minarmem_pages"),
          "retired: getproc has had no free-memory check (page_mem_avail against "
          "t_minarmem) since illumos 4244; memory shortage shows as ENOMEM from as_dup, "
          "against swap (machine.swap_mb, tunables.swapfs_minfree_mb)");
  // swap_subr.c sizes both from physical memory.
  t.swapfs_minfree_mb = std::max(2.0, m.physmem_mb / 8);
  t.swapfs_reserve_mb = std::min(128.0, std::max(4.0, m.physmem_mb / 128));
  r.number("swapfs_minfree_mb", t.swapfs_minfree_mb, at_least(0));
  r.number("swapfs_reserve_mb", t.swapfs_reserve_mb, at_least(0));
  r.integer("zone_max_lwps", t.zone_max_lwps, at_least(0));
  r.finish();
  return t;
}

std::vector<std::string> step_names() {
  std::vector<std::string> names;
  for (const auto& st : step_catalogue()) names.push_back(st.name);
  return names;
}

std::map<std::string, Dist> parse_costs(ObjReader r) {
  std::map<std::string, Dist> costs;
  for (const auto& k : r.keys()) {
    require(k == "*" || find_step(k), r.key(k),
            "unknown step; run `forksim explain` to list the step names" +
                did_you_mean(k, step_names()));
    r.dist(k, costs[k]);
  }
  return costs;
}

// Workload keys that belong to some workload types only; the rest apply to all.
struct ScopedKey {
  const char* key;
  std::vector<std::string> types;
};
const std::vector<ScopedKey> kScopedKeys = {
    {"parents", {"closed", "open"}},   {"think_s", {"closed"}},
    {"rate_per_s", {"open", "service"}}, {"child", {"closed", "open", "service"}},
    {"initial", {"fork_bomb"}},        {"retry", {"fork_bomb"}},
    {"admin_probe", {"fork_bomb"}},    {"fan_out", {"fork_bomb"}},
    {"exit_after_fork", {"fork_bomb"}},
    {"service_s", {"service"}},        {"fork_every_s", {"service"}},
    {"write_mb_per_request", {"service"}},
    {"period_s", {"interactive"}},     {"cpu_s", {"interactive"}},
    {"path", {"closed", "open", "fork_bomb", "service"}},
};

const ScopedKey* scope_of(const std::string& key) {
  for (const auto& s : kScopedKeys)
    if (key == s.key) return &s;
  return nullptr;
}

bool applies(const std::string& key, const std::string& type) {
  const ScopedKey* s = scope_of(key);
  return !s || std::find(s->types.begin(), s->types.end(), type) != s->types.end();
}

void check_scope(const ObjReader& r, const std::string& type) {
  for (const auto& k : r.keys()) {
    if (applies(k, type)) continue;
    // "closed", "closed and open", "closed, open and service".
    const std::vector<std::string>& ts = scope_of(k)->types;
    std::string types;
    for (size_t i = 0; i < ts.size(); ++i)
      types += (i == 0 ? "" : i + 1 == ts.size() ? " and " : ", ") + ts[i];
    throw ScenarioError(r.key(k), "applies only to " + types + " workloads; to change the "
                                  "type, --unset it or --set the whole workload object");
  }
}

// A private writable size and its resident part: `both` is the shorthand
// for the two at once; resident defaults to reserved, and cannot exceed it
// (a page present is a page reserved).
void memory_keys(ObjReader& r, const char* both, const char* reserved_key,
                 const char* resident_key, double& reserved, double& resident) {
  double mb = 0;
  if (r.number(both, mb, at_least(0))) {
    for (const char* k : {reserved_key, resident_key})
      require(!r.has(k), r.key(both),
              std::string("is shorthand for ") + reserved_key + " and " + resident_key +
                  " together; give it or them, not both (" + k + " is given too)");
    reserved = resident = mb;
    return;
  }
  r.number(reserved_key, reserved, at_least(0));
  if (!r.number(resident_key, resident, at_least(0))) resident = reserved;
  require(resident <= reserved, r.key(resident_key),
          "must be <= " + std::string(reserved_key) + " (" + num_str(reserved) +
              "): a page present is a page reserved, got " + num_str(resident));
}

// `level`: 1 for the workload's children, 2 for theirs, ...
ChildSpec parse_child(ObjReader r, int level = 1) {
  ChildSpec c;
  r.dist("lifetime_s", c.lifetime_s);
  r.dist("cpu_s", c.cpu_s);
  r.boolean("exec", c.exec);
  memory_keys(r, "exec_writable_mb", "exec_reserved_mb", "exec_resident_mb", c.exec_reserved_mb,
              c.exec_resident_mb);
  if (r.has("forks")) {
    ObjReader f = r.child("forks");
    require(level < kMaxChildDepth, r.key("forks"),
            "too deep: children fork to at most " + std::to_string(kMaxChildDepth) +
                " levels below the workload's parent, and this child is at level " +
                std::to_string(level));
    if (!f.integer("count", c.forks, between(0, 1000000)))
      throw ScenarioError(f.key("count"), "missing: how many children this child forks");
    c.forks_child = std::make_shared<const ChildSpec>(parse_child(f.child("child"), level + 1));
    f.finish();
    if (c.forks == 0) c.forks_child.reset();
  }
  r.finish();
  return c;
}

// A vfork child borrows its parent's address space until it execs or
// exits; forking from the borrowed image is not modelled, so a child of a
// vfork workload that forks must exec first.
void check_vfork_tree(const ChildSpec& c, const std::string& key) {
  if (c.forks == 0) return;
  require(c.exec, key + ".forks",
          "a child of a vfork workload forks only after it execs: set " + key + ".exec to true");
  check_vfork_tree(*c.forks_child, key + ".forks.child");
}

json child_to_json(const ChildSpec& c) {
  json j = {{"lifetime_s", dist_to_json(c.lifetime_s)},
            {"cpu_s", dist_to_json(c.cpu_s)},
            {"exec", c.exec},
            {"exec_reserved_mb", c.exec_reserved_mb},
            {"exec_resident_mb", c.exec_resident_mb}};
  if (c.forks > 0) j["forks"] = {{"count", c.forks}, {"child", child_to_json(*c.forks_child)}};
  return j;
}

ParentSpec parse_parent(ObjReader r) {
  ParentSpec p;
  r.integer("uid", p.uid, at_least(0));
  bool said = r.boolean("privileged", p.privileged);
  // secpolicy_newproc always passes for uid 0, so root is privileged; saying
  // otherwise is a contradiction, not a setting.
  if (p.uid == 0) {
    require(!said || p.privileged, r.key("privileged"), "uid 0 is always privileged");
    p.privileged = true;
  }
  memory_keys(r, "writable_mb", "reserved_mb", "resident_mb", p.reserved_mb, p.resident_mb);
  r.number("writes_mb_per_s", p.writes_mb_per_s, at_least(0));
  r.choice("reap", p.reap, {"wait", "before_next_fork"});
  r.integer("lwps", p.lwps, between(1, 100000));
  if (r.integer("forking_lwps", p.forking_lwps, at_least(1)))
    require(p.forking_lwps <= p.lwps, r.key("forking_lwps"),
            "must be <= lwps (" + std::to_string(p.lwps) + "), got " +
                std::to_string(p.forking_lwps));
  r.integer("open_files", p.open_files, at_least(0));
  r.choice("class", p.sched_class, {"TS", "RT"});
  r.finish();
  return p;
}

const char* retry_name(RetryPolicy::Kind k) {
  switch (k) {
    case RetryPolicy::Kind::Immediate: return "immediate";
    case RetryPolicy::Kind::Fixed: return "fixed";
    case RetryPolicy::Kind::Exponential: return "exponential";
    case RetryPolicy::Kind::Bash: return "bash";
  }
  return "exponential";
}

// Absent fields keep RetryPolicy's defaults; fields the policy does not use
// are errors.
RetryPolicy parse_retry(ObjReader r) {
  RetryPolicy p;
  std::string policy = retry_name(p.kind);
  r.choice("policy", policy, {"immediate", "fixed", "exponential", "bash"});
  for (auto k : {RetryPolicy::Kind::Immediate, RetryPolicy::Kind::Fixed,
                 RetryPolicy::Kind::Exponential, RetryPolicy::Kind::Bash})
    if (policy == retry_name(k)) p.kind = k;
  bool delays = p.kind == RetryPolicy::Kind::Fixed || p.kind == RetryPolicy::Kind::Exponential;
  if (delays) r.number("delay_s", p.delay_s, above(0));
  if (p.kind == RetryPolicy::Kind::Exponential) {
    r.number("max_delay_s", p.max_delay_s, above(0));
    require(p.max_delay_s >= p.delay_s, r.key("max_delay_s"),
            "must be >= delay_s (" + num_str(p.delay_s) + "), got " + num_str(p.max_delay_s));
  }
  if (p.kind == RetryPolicy::Kind::Bash)
    for (const char* k : {"delay_s", "max_delay_s"})
      require(!r.has(k), r.key(k),
              "not used by the bash retry policy: its sleeps are bash's own (1, 2, 4, 8 s)");
  if (p.kind != RetryPolicy::Kind::Immediate) {
    r.number("jitter", p.jitter, at_least(0));
    require(p.jitter < 1, r.key("jitter"),
            "must be >= 0 and < 1 (each delay times a uniform factor in [1-jitter, "
            "1+jitter]), got " + num_str(p.jitter));
  } else {
    require(!r.has("jitter"), r.key("jitter"),
            "not used by the immediate retry policy: it has no delay to jitter");
  }
  r.finish("not used by the " + policy + " retry policy");
  return p;
}

// Absent or null: no probe.
AdminProbe parse_admin_probe(ObjReader& w) {
  AdminProbe a;
  const json* v = w.find("admin_probe");
  if (!v || v->is_null()) return a;
  ObjReader r(v, w.key("admin_probe"));
  a.enabled = true;
  r.integer("uid", a.uid, at_least(0));
  r.number("interval_s", a.interval_s, above(0));
  r.finish();
  return a;
}

// A group's name is also a key of the report (groups.<name>) and of --set
// (workload.groups.<name>.rate_per_s): kept to what reads well in both.
bool valid_group_name(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

Workload parse_workload(ObjReader r, bool in_group = false) {
  Workload w;
  if (in_group) {
    if (!r.string("name", w.name))
      throw ScenarioError(r.key("name"), "missing: every group needs a name ([a-z0-9_-]+)");
    require(valid_group_name(w.name), r.key("name"),
            "must be 1 to 64 of a-z, 0-9, '_' and '-', got " + in_quotes(w.name));
  }
  r.choice("type", w.type, {"closed", "open", "fork_bomb", "service", "interactive"});
  check_scope(r, w.type);  // before anything else: a misplaced key says so
  r.choice("path", w.path, {"fork1", "forkall", "vfork"});
  r.integer("parents", w.parents, at_least(1));
  r.dist("think_s", w.think_s);
  // The mean gap between arrivals, 1 / rate_per_s, is bounded as a
  // distribution's mean is (kMaxDistValue).
  r.number("rate_per_s", w.rate_per_s, at_least(1 / kMaxDistValue));
  r.dist("service_s", w.service_s);
  r.number("write_mb_per_request", w.write_mb_per_request, at_least(0));
  // Absent or null: the service never forks.
  if (const json* f = r.find("fork_every_s"); f && !f->is_null()) {
    w.forks = true;
    w.fork_every_s = to_dist(*f, r.key("fork_every_s"));
  }
  w.child = parse_child(r.child("child"));
  if (w.path == "vfork") check_vfork_tree(w.child, r.key("child"));
  w.parent = parse_parent(r.child("parent"));
  require(w.parent.forking_lwps == 1 || w.type == "closed", r.key("parent") + ".forking_lwps",
          "applies only to closed workloads");
  // Writes happen in a closed parent's think time, where its child may live on.
  require(w.parent.writes_mb_per_s == 0 || w.type == "closed",
          r.key("parent") + ".writes_mb_per_s", "applies only to closed workloads");
  require(w.parent.reap == "wait" || w.type == "closed", r.key("parent") + ".reap",
          "applies only to closed workloads");
  r.integer("initial", w.initial, at_least(1));
  // Absent or null: fork for ever, as the plain bomb does.
  if (const json* f = r.find("fan_out"); f && !f->is_null())
    w.fan_out = to_int(*f, r.key("fan_out"), at_least(1));
  r.boolean("exit_after_fork", w.exit_after_fork);
  require(!w.exit_after_fork || w.fan_out > 0, r.key("exit_after_fork"),
          "needs workload.fan_out: a process that forks for ever never gets to exit");
  w.retry = parse_retry(r.child("retry"));
  w.admin_probe = parse_admin_probe(r);
  // At least a microsecond: each wake-up costs the engine events, and a
  // period of nothing would be a loop that never lets time pass.
  r.number("period_s", w.period_s, between(1e-6, kMaxDistValue));
  r.dist("cpu_s", w.cpu_s);
  r.finish();
  return w;
}

// {"groups": [...]}: only that key, a non-empty array of workloads with
// unique names; group i's keys are named workload.groups[i].KEY.
std::vector<Workload> parse_groups(ObjReader& r) {
  for (const auto& k : r.keys())
    require(k == "groups", r.key(k),
            "a composite workload has only \"groups\"; this key belongs inside a group");
  const json* g = r.find("groups");
  const std::string key = r.key("groups");
  require(g->is_array(), key, "expected an array of workload objects, got " + type_of(*g));
  require(!g->empty(), key, "needs at least one group");
  constexpr std::size_t kMaxGroups = 256;
  require(g->size() <= kMaxGroups, key,
          "at most " + std::to_string(kMaxGroups) + " groups, got " + std::to_string(g->size()));
  std::vector<Workload> groups;
  std::set<std::string> names;
  for (std::size_t i = 0; i < g->size(); ++i) {
    ObjReader gr(&(*g)[i], key + "[" + std::to_string(i) + "]");
    Workload w = parse_workload(gr, true);
    require(names.insert(w.name).second, gr.key("name"),
            "another group is already named " + in_quotes(w.name));
    groups.push_back(std::move(w));
  }
  return groups;
}

// "illumos", "none", {"ticks": N} or {"per_pending": k}.
ForkBackoff parse_fork_backoff(const json& v, const std::string& key) {
  ForkBackoff b;
  const std::string forms =
      "say \"illumos\", \"none\", {\"ticks\": N} or {\"per_pending\": k}";
  if (v.is_string()) {
    std::string name = v.get<std::string>();
    std::vector<std::string> names = {"illumos", "none"};
    require(name == "illumos" || name == "none", key,
            forms + "; got " + in_quotes(name) + did_you_mean(name, names));
    b.kind = name == "none" ? ForkBackoff::Kind::None : ForkBackoff::Kind::Illumos;
    return b;
  }
  require(v.is_object() && v.size() == 1, key,
          forms + "; got " + (v.is_object() ? "an object of " + std::to_string(v.size()) + " keys"
                                            : type_of(v)));
  ObjReader r(&v, key);
  // delay(0) returns at once; "none" is the variant that does not delay.
  if (const json* t = r.find("ticks")) {
    b.kind = ForkBackoff::Kind::Ticks;
    b.ticks = to_int(*t, r.key("ticks"), between(1, 1000000));
  } else if (const json* k = r.find("per_pending")) {
    b.kind = ForkBackoff::Kind::PerPending;
    b.per_pending = to_number(*k, r.key("per_pending"), between(1e-6, 1e6));
  }
  r.finish("not a fork_backoff variant; " + forms);
  return b;
}

json fork_backoff_to_json(const ForkBackoff& b) {
  switch (b.kind) {
    case ForkBackoff::Kind::Ticks: return {{"ticks", b.ticks}};
    case ForkBackoff::Kind::PerPending: return {{"per_pending", b.per_pending}};
    default: return backoff_kind_name(b.kind);
  }
}

KernelVariant parse_kernel(ObjReader r) {
  KernelVariant k;
  if (const json* b = r.find("fork_backoff"))
    k.fork_backoff = parse_fork_backoff(*b, r.key("fork_backoff"));
  r.finish();
  return k;
}

json workload_to_json(const Workload& w) {
  const ParentSpec& p = w.parent;
  const RetryPolicy& rp = w.retry;
  json retry = {{"policy", retry_name(rp.kind)}};
  if (rp.kind == RetryPolicy::Kind::Fixed || rp.kind == RetryPolicy::Kind::Exponential)
    retry["delay_s"] = rp.delay_s;
  if (rp.kind == RetryPolicy::Kind::Exponential) retry["max_delay_s"] = rp.max_delay_s;
  if (rp.kind != RetryPolicy::Kind::Immediate) retry["jitter"] = rp.jitter;
  json probe = nullptr;
  if (w.admin_probe.enabled)
    probe = {{"uid", w.admin_probe.uid}, {"interval_s", w.admin_probe.interval_s}};

  json j = {
      {"type", w.type},
      {"path", w.path},
      {"parents", w.parents},
      {"think_s", dist_to_json(w.think_s)},
      {"rate_per_s", w.rate_per_s},
      {"child", child_to_json(w.child)},
      {"parent",
       {{"uid", p.uid},
        {"privileged", p.privileged},
        {"reserved_mb", p.reserved_mb},
        {"resident_mb", p.resident_mb},
        {"writes_mb_per_s", p.writes_mb_per_s},
        {"reap", p.reap},
        {"lwps", p.lwps},
        {"forking_lwps", p.forking_lwps},
        {"open_files", p.open_files},
        {"class", p.sched_class}}},
      {"initial", w.initial},
      {"fan_out", w.fan_out > 0 ? json(w.fan_out) : json(nullptr)},
      {"exit_after_fork", w.exit_after_fork},
      {"retry", retry},
      {"admin_probe", probe},
      {"service_s", dist_to_json(w.service_s)},
      {"fork_every_s", w.forks ? dist_to_json(w.fork_every_s) : json(nullptr)},
      {"write_mb_per_request", w.write_mb_per_request},
      {"period_s", w.period_s},
      {"cpu_s", dist_to_json(w.cpu_s)},
  };
  // The same table that rejects misplaced keys on input drops them here.
  for (const auto& s : kScopedKeys)
    if (!applies(s.key, w.type)) j.erase(s.key);
  if (!w.name.empty()) j["name"] = w.name;
  return j;
}

}  // namespace

Scenario parse_scenario(const json& j) {
  ObjReader r(&j, "");
  Scenario s;
  r.string("name", s.name);
  r.string("description", s.description);
  if (const json* seed = r.find("seed")) s.seed = to_seed(*seed, "seed");
  r.number("duration_s", s.duration_s, above(0));
  // Relative by default, so that a short run (--set duration_s=0.5) keeps a
  // warm-up inside it: the default scenario's 1 s of 10 s. "auto" leaves
  // the cut to the command that runs it (MSER-5 on a pilot run), which
  // sets warmup_s to the cut; until then the window starts at 0.
  const json* warmup = r.find("warmup_s");
  if (warmup && warmup->is_string()) {
    const std::string w = warmup->get<std::string>();
    require(w == "auto", "warmup_s",
            "expected a number of seconds or \"auto\", got " + in_quotes(w) +
                did_you_mean(w, {"auto"}));
    s.warmup_auto = true;
    s.warmup_s = 0;
  } else if (warmup) {
    require(warmup->is_number(), "warmup_s",
            "expected a number of seconds or \"auto\", got " + type_of(*warmup));
    s.warmup_s = to_number(*warmup, "warmup_s", at_least(0));
  } else {
    s.warmup_s = s.duration_s / 10;
  }
  require(s.warmup_s < s.duration_s, "warmup_s",
          "must be < duration_s (" + num_str(s.duration_s) + "), got " + num_str(s.warmup_s) +
              "; without warmup_s the warm-up is a tenth of duration_s");
  r.number("timeseries_s", s.timeseries_s, above(0));
  // MSER-5 compares cuts over the first half of the batches of 5 samples;
  // with fewer than 4 batches it has next to nothing to compare.
  if (s.warmup_auto) {
    const double intervals = std::floor(s.duration_s / s.timeseries_s + 1e-9);
    require(intervals >= kAutoWarmupMinSamples, "warmup_s",
            "\"auto\" needs at least " + std::to_string(kAutoWarmupMinSamples) +
                " time-series samples (4 batches of 5) to choose a cut from; duration_s / "
                "timeseries_s gives " + num_str(intervals) + ": set timeseries_s <= " +
                num_str(s.duration_s / kAutoWarmupMinSamples));
  }
  s.machine = parse_machine(r.child("machine"));
  s.tunables = parse_tunables(r.child("tunables"), s.machine);
  s.costs = parse_costs(r.child("costs"));
  s.kernel = parse_kernel(r.child("kernel"));
  if (const json* c = r.find("calibration")) s.calibration = parse_calibration(*c);
  // Includes are read, relative to their file, where a file is read
  // (scenarios/include.hpp); one that reaches here came another way.
  require(!r.find("include"), "include",
          "only a scenario file can include fragments (paths relative to it); it cannot be set "
          "with --set or in a scenario given as JSON text");
  ObjReader w = r.child("workload");
  if (w.has("groups"))
    s.groups = parse_groups(w);
  else
    s.workload = parse_workload(w);
  r.finish();
  return s;
}

std::vector<const Workload*> Scenario::workloads() const {
  std::vector<const Workload*> v;
  if (groups.empty()) v.push_back(&workload);
  for (const Workload& g : groups) v.push_back(&g);
  return v;
}

json Scenario::to_json() const {
  auto groups_json = [this] {
    json a = json::array();
    for (const Workload& g : groups) a.push_back(workload_to_json(g));
    return a;
  };
  const Machine& m = machine;
  const Tunables& t = tunables;
  json costs_j = json::object();
  for (const auto& [step, d] : costs) costs_j[step] = dist_to_json(d);
  json j = {
      {"name", name},
      {"description", description},
      {"seed", seed},
      {"duration_s", duration_s},
      {"warmup_s", warmup_auto ? json("auto") : json(warmup_s)},
      {"timeseries_s", timeseries_s},
      {"machine",
       {{"ncpus", m.ncpus},
        {"cpu_speed", m.cpu_speed},
        {"hz", m.hz},
        {"physmem_mb", m.physmem_mb},
        {"swap_mb", m.swap_mb},
        {"system_procs", m.system_procs},
        {"ts_quantum_scale", m.ts_quantum_scale}}},
      {"tunables",
       {{"max_nprocs", t.max_nprocs},
        {"maxuprc", t.maxuprc},
        {"reserved_procs", t.reserved_procs},
        {"pidmax", t.pidmax},
        {"swapfs_minfree_mb", t.swapfs_minfree_mb},
        {"swapfs_reserve_mb", t.swapfs_reserve_mb},
        {"zone_max_lwps", t.zone_max_lwps}}},
      {"costs", costs_j},
      {"kernel", {{"fork_backoff", fork_backoff_to_json(kernel.fork_backoff)}}},
      {"workload", composite() ? json{{"groups", groups_json()}} : workload_to_json(workload)},
  };
  if (!calibration.is_null()) j["calibration"] = calibration;
  return j;
}

}  // namespace forksim
