#!/usr/bin/env python3
"""Checks schemas/*.schema.json against what forksim reads and writes.

usage: schema_check.py --forksim BUILD/forksim --source SOURCE_DIR

With a real validator (python3-jsonschema, Draft 2020-12; Debian 12's 4.10.3
API or a newer one), every $ref resolved locally from the schemas' own $id
(never the network):
- each schema is a valid 2020-12 schema, every $ref in it resolves, every
  key has a description, and a key's unit (its name's suffix: _s, _mb, _ns,
  _per_s, a fraction) is in that description;
- the costs' step names are `forksim explain`'s, the report's schema_version
  is analysis/report.hpp's;
- every library scenario, as written and as `forksim validate` resolves it,
  the default scenario resolved, and the fixtures forksim accepts, are valid;
  scenarios forksim refuses (unknown keys, wrong types, keys of another
  workload type, ...) are refused by the schema too;
- fresh reports of several scenarios (every workload type, groups, an
  incomplete report stopped by a budget) are valid, every object in one of
  them is closed (an added key fails) and every value typed (a changed type
  fails);
- the replicated, sweep (a shard's too), sensitivity and comparison
  formats accept the design's shape and refuse a broken one; when this
  forksim has the command, its own output (a sweep's shards and their
  merge included) is validated too (a command it refuses as unknown is
  reported as SKIP; any other refusal fails).
Prints each failure and exits 1 if any; python3-jsonschema missing is a
failure too, not a skip.
"""
import argparse
import copy
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

try:
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError as e:  # a clear failure, not a skip: scripts/setup.sh installs it
    sys.exit("schema_check: python3-jsonschema with Draft 2020-12 support is needed "
             "(scripts/setup.sh installs python3-jsonschema): %s" % e)

BASE = "https://forksim.example/schemas/"
NAMES = ["scenario", "report", "replicated", "sweep", "sensitivity", "compare", "calibration_check"]

failures = []


def fail(what):
    failures.append(what)
    print("FAIL: " + what)


# ---------------------------------------------------------------------------
# Schemas and validators

def load_schemas(source):
    schemas = {}
    for name in NAMES:
        path = os.path.join(source, "schemas", name + ".schema.json")
        with open(path) as f:
            s = json.load(f)
        if s.get("$id") != BASE + name + ".schema.json":
            fail("%s: $id is %r, not %s" % (path, s.get("$id"), BASE + name + ".schema.json"))
        try:
            Draft202012Validator.check_schema(s)
        except jsonschema.exceptions.SchemaError as e:
            fail("%s is not a valid 2020-12 schema: %s" % (path, e.message))
        schemas[name] = s
    return schemas


def make_validators(schemas):
    """A validator per schema whose $refs resolve among these schemas only."""
    by_id = {s["$id"]: s for s in schemas.values()}
    try:  # jsonschema >= 4.18: the referencing library
        from referencing import Registry
        from referencing.jsonschema import DRAFT202012
        registry = Registry().with_resources(
            (uri, DRAFT202012.create_resource(s)) for uri, s in by_id.items())
        return {n: Draft202012Validator(s, registry=registry) for n, s in schemas.items()}
    except ImportError:  # Debian 12's 4.10.3: RefResolver with a store
        def no_network(uri):
            raise jsonschema.exceptions.RefResolutionError("not a local schema: " + uri)
        return {n: Draft202012Validator(
                    s, resolver=jsonschema.RefResolver.from_schema(
                        s, store=by_id, handlers={"http": no_network, "https": no_network}))
                for n, s in schemas.items()}


def errors(validator, instance, limit=3):
    out = []
    for e in validator.iter_errors(instance):
        out.append("/".join(map(str, e.absolute_path)) + ": " + e.message[:160])
        if len(out) == limit:
            break
    return out


def expect_valid(validators, schema, instance, what):
    errs = errors(validators[schema], instance)
    if errs:
        fail("%s is not a valid %s: %s" % (what, schema, "; ".join(errs)))


def expect_invalid(validators, schema, instance, what):
    if validators[schema].is_valid(instance):
        fail("%s passes %s though it must not" % (what, schema))


# ---------------------------------------------------------------------------
# The schemas themselves: references, descriptions, units

def walk(node, path, visit):
    """Calls visit(path, key, schema) for every schema that defines a key:
    properties, patternProperties and additionalProperties values and $defs.
    The tests of if are conditions, not definitions, and are skipped."""
    if isinstance(node, list):
        for i, x in enumerate(node):
            walk(x, path + [str(i)], visit)
        return
    if not isinstance(node, dict):
        return
    for k, v in node.items():
        if k == "if":
            continue
        if k == "properties" and isinstance(v, dict):
            for name, sub in v.items():
                visit(path + [k, name], name, sub)
        elif k in ("patternProperties", "$defs") and isinstance(v, dict):
            for name, sub in v.items():
                visit(path + [k, name], None, sub)
        elif k == "additionalProperties" and isinstance(v, dict):
            visit(path + [k], None, v)
        walk(v, path + [k], visit)


# A key's unit from its name, and the words its description must use.
UNIT_RULES = [
    (re.compile(r"_per_s$"), "per second"),
    (re.compile(r"_s$"), "second"),
    (re.compile(r"_mb$"), "MB"),
    (re.compile(r"_ns$"), "nanosecond"),
    (re.compile(r"^(utilization|utilization_max|contended_fraction|level|confidence|jitter|delta|target|rel_half_width|rel)$"),
     "fraction"),
]
# Every number is in some unit or none; its description says which.
UNIT_WORDS = ["second", "MB", "nanosecond", "per second", "fraction", "count", "ratio", "index",
              "no unit", "tick", "pid", "ID", "unit"]


def check_descriptions(name, schema):
    if "description" not in schema:
        fail("%s: the schema itself has no description" % name)

    def visit(path, key, sub):
        where = "%s: %s" % (name, "/".join(path))
        if not isinstance(sub, dict) or not isinstance(sub.get("description"), str) \
                or not sub["description"].strip():
            fail(where + " has no description")
            return
        if key is None or sub.get("not") == {}:  # a map's values, or a key forbidden here
            return
        d = sub["description"]
        for pattern, word in UNIT_RULES:
            if pattern.search(key):
                if word not in d:
                    fail("%s: the description does not give its unit (%r): %r" % (where, word, d))
                break
        else:
            types = sub.get("type", [])
            types = types if isinstance(types, list) else [types]
            if ("number" in types or "integer" in types) and not any(w in d for w in UNIT_WORDS):
                fail("%s: a number whose description names no unit: %r" % (where, d))

    walk(schema, [], visit)


def check_refs(schemas):
    """Every $ref names a document among the schemas and a place in it."""
    docs = {s["$id"]: s for s in schemas.values()}

    def pointer(doc, frag):
        node = doc
        for part in frag.lstrip("/").split("/") if frag else []:
            part = urllib.parse.unquote(part).replace("~1", "/").replace("~0", "~")
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    def visit(node, base):
        if isinstance(node, dict):
            if "$ref" in node:
                uri, _, frag = urllib.parse.urljoin(base, node["$ref"]).partition("#")
                try:
                    pointer(docs[uri], frag)
                except (KeyError, IndexError, ValueError):
                    fail("%s: $ref %s does not resolve" % (base, node["$ref"]))
            for v in node.values():
                visit(v, base)
        elif isinstance(node, list):
            for v in node:
                visit(v, base)

    for s in schemas.values():
        visit(s, s["$id"])


# ---------------------------------------------------------------------------
# forksim

class Forksim:
    def __init__(self, binary, workdir):
        self.binary = binary
        self.workdir = workdir

    def run(self, *args):
        return subprocess.run([self.binary] + list(args), cwd=self.workdir, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=120)

    def json_of(self, *args, ok=(0,)):
        """Runs forksim and loads what it wrote: the file after -o, or stdout."""
        out = os.path.join(self.workdir, args[args.index("-o") + 1]) if "-o" in args else None
        if out and os.path.exists(out):
            os.remove(out)
        r = self.run(*args)
        if r.returncode not in ok:
            fail("forksim %s exited %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()[:300]))
            return None
        if out is None:
            return json.loads(r.stdout)
        with open(out) as f:
            return json.load(f)


def not_in_this_build(r, command, option):
    """Whether forksim refused the command, or its option, as one it does not
    have yet: only that; any other refusal is a failure."""
    return r.returncode == 2 and ("unknown command '%s'" % command in r.stderr
                                  or "unrecognised option '%s'" % option in r.stderr)


# ---------------------------------------------------------------------------
# Scenarios

# Scenarios forksim refuses (exit 2) that the schema must refuse too.
BAD_SCENARIOS = [
    ("an unknown top-level key", {"duration": 5}),
    ("an unknown machine key", {"machine": {"ncpu": 8}}),
    ("the retired ts_quantum_ms", {"machine": {"ts_quantum_ms": 10}}),
    ("a string for a number", {"machine": {"ncpus": "8"}}),
    ("a fractional CPU count", {"machine": {"ncpus": 2.5}}),
    ("no CPUs", {"machine": {"ncpus": 0}}),
    ("a negative seed", {"seed": -1}),
    ("an unknown cost step", {"costs": {"as_dupe": 10}}),
    ("a distribution with another's field", {"costs": {"as_dup": {"dist": "exponential", "min": 1}}}),
    ("an unknown distribution", {"costs": {"as_dup": {"dist": "normal", "mean": 1}}}),
    ("an unknown child key", {"workload": {"child": {"lifetime": 1}}}),
    ("a closed key in an open workload", {"workload": {"type": "open", "think_s": 0.1}}),
    ("a bomb key in a closed workload", {"workload": {"fan_out": 2}}),
    ("a path in an interactive workload", {"workload": {"type": "interactive", "path": "fork1"}}),
    ("a closed-only parent key in a service", {"workload": {"type": "service", "parent": {"reap": "before_next_fork"}}}),
    ("a name outside groups", {"workload": {"name": "web"}}),
    ("a group without a name", {"workload": {"groups": [{"type": "closed"}]}}),
    ("a group name with capitals", {"workload": {"groups": [{"name": "Web"}]}}),
    ("a key beside groups", {"workload": {"groups": [{"name": "a"}], "type": "open"}}),
    ("jitter on the immediate policy", {"workload": {"type": "fork_bomb", "retry": {"policy": "immediate", "jitter": 0.1}}}),
    ("delay_s on the bash policy", {"workload": {"type": "fork_bomb", "retry": {"policy": "bash", "delay_s": 1}}}),
    ("writable_mb with reserved_mb", {"workload": {"parent": {"writable_mb": 4, "reserved_mb": 4}}}),
    ("an unknown fork_backoff", {"kernel": {"fork_backoff": "linux"}}),
    ("a vfork child forking before it execs",
     {"workload": {"path": "vfork", "child": {"forks": {"count": 1, "child": {"exec": False, "forks": {"count": 1}}}}}}),
    ("root unprivileged", {"workload": {"parent": {"uid": 0, "privileged": False}}}),
    ("exit_after_fork without fan_out", {"workload": {"type": "fork_bomb", "exit_after_fork": True}}),
    ("exit_after_fork with a null fan_out",
     {"workload": {"type": "fork_bomb", "exit_after_fork": True, "fan_out": None}}),
    ("a string warm-up other than auto", {"warmup_s": "later"}),
]


# Scenarios forksim accepts, with keys no library scenario uses: the schema
# must accept them, and their resolved form.
GOOD_SCENARIOS = [
    ("shorthands and a uniform default cost",
     {"warmup_s": 0, "costs": {"*": {"dist": "uniform", "min": 10, "max": 20}, "mutex_backoff_unit": 50},
      "workload": {"parent": {"writable_mb": 8, "class": "RT", "uid": 0, "privileged": True},
                   "child": {"exec_writable_mb": 2, "lifetime_s": {"dist": "lognormal", "mean": 0.01, "cv": 2}}}}),
    ("a fixed retry and no backoff",
     {"kernel": {"fork_backoff": "none"},
      "workload": {"type": "fork_bomb", "fan_out": None, "admin_probe": None,
                   "retry": {"policy": "fixed", "delay_s": 0.5, "jitter": 0.5}}}),
    ("the default exponential retry and the largest seed",
     {"seed": 18446744073709551615, "workload": {"type": "fork_bomb", "retry": {"max_delay_s": 2}},
      "machine": {"ts_quantum_scale": 2, "cpu_speed": 1.5}}),
    ("a service that never forks and an interactive group",
     {"workload": {"groups": [{"name": "svc", "type": "service", "fork_every_s": None, "path": "vfork"},
                              {"name": "me", "type": "interactive", "period_s": 0.01,
                               "parent": {"class": "RT"}}]}}),
    ("a vfork child tree whose leaf does not exec",
     {"workload": {"path": "vfork", "child": {"forks": {"count": 2, "child": {"exec": False, "cpu_s": 0.001}}}}}),
    ("a closed parent reaping before its next fork",
     {"workload": {"type": "closed", "path": "forkall", "parent": {"lwps": 4, "forking_lwps": 2,
                   "reap": "before_next_fork", "writes_mb_per_s": 10, "reserved_mb": 4, "resident_mb": 2}}}),
]


def check_scenarios(fs, validators, source, workdir):
    library = sorted(glob.glob(os.path.join(source, "scenarios", "library", "*.json")))
    if len(library) < 9:
        fail("expected the 9 library scenarios, found %d" % len(library))
    for path in library:
        with open(path) as f:
            expect_valid(validators, "scenario", json.load(f), path)
        resolved = fs.json_of("validate", path)
        if resolved is not None:
            expect_valid(validators, "scenario", resolved, "`forksim validate %s`" % path)
            if os.path.basename(path) == "db-snapshot.json":  # groups of services
                check_closed_and_typed(validators, "scenario", resolved, "db-snapshot resolved")
    default = fs.json_of("validate")
    if default is not None:
        expect_valid(validators, "scenario", default, "the default scenario resolved")
        check_closed_and_typed(validators, "scenario", default, "the default scenario resolved")
    for path in sorted(glob.glob(os.path.join(source, "tests", "fixtures", "*.json"))):
        if fs.run("validate", path).returncode == 0:
            with open(path) as f:
                expect_valid(validators, "scenario", json.load(f), path)

    for what, scenario in GOOD_SCENARIOS:
        path = os.path.join(workdir, "good.json")
        with open(path, "w") as f:
            json.dump(scenario, f)
        expect_valid(validators, "scenario", scenario, "a scenario with " + what)
        resolved = fs.json_of("validate", path)
        if resolved is not None:
            expect_valid(validators, "scenario", resolved, "a scenario with %s, resolved" % what)

    for what, scenario in BAD_SCENARIOS:
        path = os.path.join(workdir, "bad.json")
        with open(path, "w") as f:
            json.dump(scenario, f)
        r = fs.run("validate", path)
        if r.returncode != 2:
            fail("forksim validate accepts %s (%s): exit %d" % (what, json.dumps(scenario), r.returncode))
        expect_invalid(validators, "scenario", scenario, "a scenario with " + what)


# ---------------------------------------------------------------------------
# Reports

# (what, forksim run arguments, accepted exit statuses); short runs, every
# workload type and section between them.
REPORTS = [
    ("the default scenario", ["run", "--set", "duration_s=0.2"], (0,)),
    ("capacity-shells", ["run", "capacity-shells", "--set", "duration_s=0.2", "--unset", "warmup_s"], (0,)),
    ("cgi-server (open)", ["run", "cgi-server", "--set", "duration_s=0.2", "--unset", "warmup_s"], (0,)),
    ("db-snapshot (service groups)", ["run", "db-snapshot", "--set", "duration_s=0.2", "--unset", "warmup_s"], (0,)),
    ("fork-bomb-maxuprc (bomb, probe and interactive groups)",
     ["run", "fork-bomb-maxuprc", "--set", "duration_s=0.2", "--unset", "warmup_s"], (0,)),
    ("jvm-spawn", ["run", "jvm-spawn", "--set", "duration_s=0.2", "--unset", "warmup_s"], (0,)),
    ("fork-bomb stopped by --max-wall-s", ["run", "fork-bomb", "--max-wall-s", "0.1"], (3,)),
    ("a single fork bomb with a probe and bash's retry",
     ["run", "--set", "duration_s=0.2", "--set", "tunables.max_nprocs=500", "--set",
      'workload={"type": "fork_bomb", "fan_out": 2, "exit_after_fork": true, '
      '"retry": {"policy": "bash", "jitter": 0.1}, "admin_probe": {"uid": 0, "interval_s": 0.05}}',
      "--set", 'kernel.fork_backoff={"per_pending": 2}'], (0,)),
    ("a single service forking by forkall",
     ["run", "--set", "duration_s=0.2", "--set",
      'workload={"type": "service", "path": "forkall", "fork_every_s": {"dist": "exponential", "mean": 0.05}, '
      '"parent": {"lwps": 4, "writable_mb": 64}, "write_mb_per_request": 0.01}'], (0,)),
    ("a single interactive victim",
     ["run", "--set", "duration_s=0.2", "--set",
      'workload={"type": "interactive", "cpu_s": {"dist": "uniform", "min": 0.001, "max": 0.002}}'], (0,)),
    ("an open vfork workload with child trees",
     ["run", "--set", "duration_s=0.2", "--set", 'kernel.fork_backoff={"ticks": 3}', "--set",
      'workload={"type": "open", "path": "vfork", "rate_per_s": 20000, '
      '"child": {"forks": {"count": 2, "child": {"forks": {"count": 1}}}}}'], (0,)),
]


def objects_in(x, name=""):
    """(name, object) of every object: its key in its parent (or "")."""
    if isinstance(x, dict):
        yield name, x
        for k, v in x.items():
            yield from objects_in(v, k)
    elif isinstance(x, list):
        for v in x:
            yield from objects_in(v, name)


def check_closed_and_typed(validators, schema, instance, what):
    """An added key in any object, or any value of another type, must fail.
    Objects of one name and the same keys (every latency_s, each group's
    paths) are the same schema's: each is tried once, which keeps this fast."""
    v = validators[schema]
    instance = copy.deepcopy(instance)
    seen = set()
    for name, d in list(objects_in(instance)):
        shape = (name, tuple(sorted(d)))
        if shape in seen:
            continue
        seen.add(shape)
        d["zz_not_a_key"] = 1
        if v.is_valid(instance):
            fail("%s: %s accepts an unknown key (keys: %s)" % (what, name or "the top level", sorted(d)[:8]))
        del d["zz_not_a_key"]
        for key, old in list(d.items()):
            if isinstance(old, list) and old and not isinstance(old[0], (dict, list)):
                container, key, old = old, 0, old[0]  # an array of scalars: its first
            elif isinstance(old, (dict, list)):
                continue
            else:
                container = d
            container[key] = 12345 if isinstance(old, str) else "x"
            if v.is_valid(instance):
                fail("%s: %s.%s accepts a %s" % (what, name, key, "number" if isinstance(old, str) else "string"))
            container[key] = old


def check_reports(fs, validators):
    reports = {}
    for what, args, ok in REPORTS:
        r = fs.json_of(*(args + ["--quiet", "-o", "out.json"]), ok=ok)
        if r is None:
            continue
        expect_valid(validators, "report", r, "the report of " + what)
        reports[what] = r
    r = reports.get("fork-bomb stopped by --max-wall-s")
    if r is not None and r.get("complete") is not False:
        fail("the budget-stopped report is not marked incomplete")
    r = reports.get("db-snapshot (service groups)")
    if r is not None:
        # Its scenario is checked on its own (check_scenarios); a small one
        # in its place keeps the many validations below fast.
        r = dict(r, scenario={})
        check_closed_and_typed(validators, "report", r, "the report of db-snapshot")
    r = reports.get("the default scenario")
    if r is not None:
        bad = copy.deepcopy(r)
        bad["throughput"]["forks_per_s"] = "5607"
        expect_invalid(validators, "report", bad, "a report whose throughput.forks_per_s is a string")
        bad = copy.deepcopy(r)
        bad["locks"]["pidlock"]["utilization"] = 1.5
        expect_invalid(validators, "report", bad, "a report whose pidlock utilization is 1.5")
        bad = copy.deepcopy(r)
        bad["scenario"]["machine"]["ncpu"] = 8
        expect_invalid(validators, "report", bad, "a report whose scenario has an unknown key")
        bad = copy.deepcopy(r)
        del bad["invariants"]
        expect_invalid(validators, "report", bad, "a complete report without invariants")
    return reports


# ---------------------------------------------------------------------------
# The results of issue 12

def interval(mean, half_width, n):
    """An interval_json of the design's shape (analysis/stats.hpp)."""
    hw = half_width if n >= 2 else None
    return {"mean": mean, "sd": (hw or 0) / 2, "n": n, "df": max(n - 1, 0), "level": 0.95,
            "half_width": hw, "lo": None if hw is None else mean - hw,
            "hi": None if hw is None else mean + hw,
            "rel_half_width": None if hw is None or mean == 0 else hw / abs(mean)}


def manifest(report, seeds):
    return {"forksim_version": report["forksim_version"], "git_commit": None,
            "simgrid_version": "3.32", "boost_version": "1.74", "scenario_hash": "0123456789abcdef",
            "seeds": seeds, "command_line": ["forksim", "run"]}


def examples(report):
    """One document of each result format as the design describes it,
    around a real report."""
    seeds = [report["seed"], report["seed"] + 1]
    runs = [report, report]
    metrics = {"throughput.forks_per_s": interval(report["throughput"]["forks_per_s"], 40.0, 2),
               "paths.fork1.latency_s.p99": interval(0.0002, 0.00001, 2)}
    replications = {"n": 2, "seeds": seeds, "seed_rule": "replication i runs with seed + i", "jobs": 2,
                    "level": 0.95, "stopped": {"reason": "precision reached", "metric": "throughput.forks_per_s",
                                               "target": 0.02, "rel_half_width": 0.013}}
    replicated = {"kind": "replicated", "schema_version": 1, "manifest": manifest(report, seeds),
                  "scenario": report["scenario"], "replications": replications, "metrics": metrics,
                  "partial": {"paths.fork1.latency_s.p999": 1}, "runs": runs}
    point = {"index": 0, "overrides": {"machine.ncpus": 4}, "sets": ["machine.ncpus=4"],
             "replications": replications, "metrics": metrics, "partial": {}, "runs": runs}
    sweep = {"kind": "sweep", "schema_version": 1, "manifest": manifest(report, seeds),
             "scenario": report["scenario"],
             "sweep": {"vary": [{"key": "machine.ncpus", "values": [4, 8]}], "zip": False, "replications": 2,
                       "precision": {"target": 0.02, "metric": "throughput.forks_per_s", "max_replications": 50},
                       "seeds": seeds, "points": 3},
             "complete": False, "failed_points": [2],
             "points": [point, dict(point, index=1, overrides={"machine.ncpus": 8}, sets=["machine.ncpus=8"]),
                        {"index": 2, "overrides": {"machine.ncpus": 16},
                         "failed": {"status": 1, "message": "the run at sweep point 2 (machine.ncpus=16), "
                                                            "seed 1 failed: killed by signal 9 (Killed)"}}],
             "knee": {"method": "Kneedle (Satopaa et al. 2011)", "key": "machine.ncpus",
                      "metric": "throughput.forks_per_s", "x": 8, "y": 18982.0, "index": 1,
                      "bottleneck": {"resource": "pidlock", "utilization": 0.27},
                      "utilizations": {"pidlock": 0.27, "cpu": 0.2}},
             "slo": {"objective": "paths.fork1.latency_s.p99<=0.005", "key": "machine.ncpus",
                     "highest_meeting": 8, "lowest_failing": None, "answer": 8, "interval": [8, 8],
                     "metric": "paths.fork1.latency_s.p99", "confidence": 0.95, "points_added": 0,
                     "replications_added": 0, "decided": True, "reason": "every point meets it",
                     "points": [{"x": 8, "n": 2, "class": "meets", "mean": 0.0002, "half_width": 0.00001}]},
             "usl": {"lambda": 2400.0, "sigma": 0.02, "kappa": 0.0001, "r2": 0.99, "peak_ncpus": 99.0,
                     "peak_throughput": 60000.0, "metric": "throughput.forks_per_s", "held_at_zero": [],
                     "method": "GSL nonlinear least squares (gsl_multifit_nlinear, trust region)"}}
    sensitivity = {"kind": "sensitivity", "schema_version": 1, "manifest": manifest(report, seeds),
                   "scenario": report["scenario"], "metric": "paths.fork1.latency_s.p99", "delta": 0.25,
                   "replications": 2, "seeds": seeds, "baseline": interval(0.0002, 0.00001, 2),
                   "costs": [{"cost": "as_dup_page", "basis": "measured", "cost_ns": 75.0,
                              "elasticity": interval(0.8, 0.1, 2), "low": interval(0.00018, 0.00001, 2),
                              "high": interval(0.00022, 0.00001, 2)}]}
    difference = {"a": 5607.0, "b": 5500.0, "diff": -107.0, "rel": -107.0 / 5607.0,
                  "test": "paired t (same seeds)", "interval": interval(-107.0, 30.0, 2), "significant": True}
    side = {"kind": "replicated", "scenario_hash": "0123456789abcdef", "runs": 2, "seeds": seeds}
    compare = {"kind": "compare", "schema_version": 1, "level": 0.95, "a": side, "b": side,
               "test": "paired t (same seeds)",
               "metrics": {"throughput.forks_per_s": difference,
                           "cpu.utilization": dict(difference, a=0.3, b=0.3, diff=0.0, rel=0.0, interval=None,
                                                   significant=False, test="none (single runs)")},
               "not_compared": {"paths.fork1.latency_s.p999": "absent from some run of A"},
               "fail_if": [{"rule": "throughput.forks_per_s<-2%", "breached": False, "breaches": []}]}
    shard = dict(sweep, points=sweep["points"][1:], shard={"index": 2, "count": 2, "points": [1]})
    for k in ("knee", "slo", "usl"):
        del shard[k]
    return {"replicated": replicated, "sweep": sweep, "sweep shard": shard, "sensitivity": sensitivity,
            "compare": compare}


def broken(kind, doc):
    """The same document with one mistake each format must refuse."""
    doc = copy.deepcopy(doc)
    if kind == "replicated":
        doc["replications"]["stopped"]["reason"] = "tired"
    elif kind == "sweep":
        doc["points"][0]["runs"][0]["throughput"]["forks_per_s"] = "fast"
    elif kind == "sweep shard":
        doc["shard"]["index"] = 0
    elif kind == "sensitivity":
        doc["costs"][0]["basis"] = "hunch"
    else:
        del doc["metrics"]["throughput.forks_per_s"]["significant"]
    return doc


def check_results(fs, validators, report, workdir):
    for kind, doc in examples(report).items():
        schema = kind.split()[0]
        expect_valid(validators, schema, doc, "the design's example of a %s result" % kind)
        expect_invalid(validators, schema, broken(kind, doc), "a broken %s result" % kind)

    # The commands' own output, once this forksim has them.
    scenario = os.path.join(workdir, "short.json")
    with open(scenario, "w") as f:
        json.dump({"duration_s": 0.2, "workload": {"parents": 8}}, f)
    commands = [
        ("replicated", ["run", scenario, "--replications", "2", "--jobs", "2", "-o", "replicated.json"],
         "replicated.json"),
        ("sweep", ["sweep", scenario, "--vary", "machine.ncpus=2,4", "--replications", "2", "-o", "sweep.json"],
         "sweep.json"),
        # The same sweep as two shards, and the shards merged.
        ("sweep", ["sweep", scenario, "--vary", "machine.ncpus=2,4", "--replications", "2", "--shard", "1/2",
                   "-o", "shard1.json"], "shard1.json"),
        ("sweep", ["sweep", scenario, "--vary", "machine.ncpus=2,4", "--replications", "2", "--shard", "2/2",
                   "-o", "shard2.json"], "shard2.json"),
        ("sweep", ["merge", "merged.json", "shard1.json", "shard2.json"], "merged.json"),
        ("sensitivity", ["sensitivity", scenario, "--metric", "throughput.forks_per_s", "--costs",
                         "as_dup,exec_load", "--replications", "2", "-o", "sensitivity.json"], "sensitivity.json"),
        ("compare", ["compare", "a.json", "b.json", "--json"], None),
    ]
    # Two single runs to compare (H1's compare may come before replications).
    for out, seed in (("a.json", "1"), ("b.json", "2")):
        r = fs.json_of("run", scenario, "--seed", seed, "--quiet", "-o", out)
        if r is not None:
            expect_valid(validators, "report", r, "the report of seed %s" % seed)
    for kind, args, out in commands:
        r = fs.run(*args + ["--quiet"] if kind != "compare" else args)
        if not_in_this_build(r, args[0], args[2]):
            print("SKIP: forksim %s: not in this build yet (%s)" % (args[0], r.stderr.strip().splitlines()[0]))
            continue
        if r.returncode != 0:
            fail("forksim %s exited %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()[:300]))
            continue
        try:
            if out is None:
                doc = json.loads(r.stdout)
            else:
                with open(os.path.join(workdir, out)) as f:
                    doc = json.load(f)
        except (OSError, ValueError) as e:
            fail("forksim %s wrote no JSON: %s" % (" ".join(args), e))
            continue
        expect_valid(validators, kind, doc, "the output of forksim " + " ".join(args))


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--forksim", required=True, help="the forksim binary")
    ap.add_argument("--source", required=True, help="the source directory")
    opt = ap.parse_args()
    source = os.path.abspath(opt.source)

    schemas = load_schemas(source)
    for name, s in schemas.items():
        check_descriptions(name, s)
    check_refs(schemas)
    if failures:  # the schemas themselves are wrong: validating with them would mislead
        print("schema_check: %d failure(s) in the schemas" % len(failures))
        return 1
    validators = make_validators(schemas)

    with tempfile.TemporaryDirectory(prefix="schema_check.") as workdir:
        fs = Forksim(os.path.abspath(opt.forksim), workdir)

        steps = fs.run("explain", "--json")
        names = {"*"} | {s["name"] for s in json.loads(steps.stdout)} if steps.returncode == 0 else None
        if names != set(schemas["scenario"]["$defs"]["step_name"]["enum"]):
            fail("scenario.schema.json's step names differ from `forksim explain --json`'s")
        with open(os.path.join(source, "analysis", "report.hpp")) as f:
            version = re.search(r"kSchemaVersion = (\d+);", f.read())
        if not version or int(version.group(1)) != schemas["report"]["properties"]["schema_version"]["const"]:
            fail("report.schema.json's schema_version is not analysis/report.hpp's kSchemaVersion")

        check_scenarios(fs, validators, source, workdir)
        reports = check_reports(fs, validators)
        if "the default scenario" in reports:
            check_results(fs, validators, reports["the default scenario"], workdir)

    if failures:
        print("schema_check: %d failure(s)" % len(failures))
        return 1
    print("schema_check: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
