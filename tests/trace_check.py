#!/usr/bin/env python3
"""Checks `forksim run --trace` files against the Chrome trace-event format.

usage: trace_check.py TRACE.json [--expect-forks NAME=N]...
       trace_check.py --forksim BUILD/forksim

A file passes when:
- it is the format's object form: traceEvents (a list), displayTimeUnit,
  otherData (an object);
- every event has ph, ts, pid and tid (numbers; ts >= 0); M events name a
  process_name, process_sort_index or thread_name with their args;
- per track (pid, tid), in file order: ts never decreases, every E closes a
  B and every B is closed;
- every flow s has exactly one f with its id and the reverse; the s lies
  inside an open slice of its track (it binds to the enclosing slice), the
  f too (it has bp "e");
- otherData's events is the number of non-M events, at most max_events;
  truncated comes with events_dropped and cut_at_us;
- with --expect-forks NAME=N: N slices named NAME end with a result (a
  fork call that returned inside the window).

With --forksim: traces a few library scenarios (the default, a fork bomb,
forkall with LWPs, a vfork build farm) with short runs and checks each
file, and that every fork slice holds its thread's lock slices.
Prints each failure and exits 1 if any.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

failures = []


def fail(what):
    failures.append(what)
    print("FAIL: " + what)


def number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def check(path, expect_forks=()):
    """Checks one file; returns (events, tracks' slices) for further checks."""
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        fail("%s: not readable JSON: %s" % (path, e))
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        fail("%s: not the object form with a traceEvents list" % path)
        return None
    if doc.get("displayTimeUnit") not in ("ms", "ns"):
        fail("%s: displayTimeUnit must be ms or ns" % path)
    other = doc.get("otherData")
    if not isinstance(other, dict):
        fail("%s: no otherData object" % path)
        other = {}
    events = doc["traceEvents"]
    stacks = collections.defaultdict(list)
    last_ts = {}
    flows_s, flows_f = {}, {}
    slices = collections.defaultdict(list)  # track -> [(name, begin, end)]
    ended_forks = collections.Counter()
    timeline = 0
    for i, e in enumerate(events):
        where = "%s: event %d" % (path, i)
        if not isinstance(e, dict):
            fail(where + ": not an object")
            continue
        missing = [k for k in ("ph", "ts", "pid", "tid") if k not in e]
        if missing:
            fail(where + ": no " + ", ".join(missing))
            continue
        if not all(number(e[k]) for k in ("ts", "pid", "tid")) or e["ts"] < 0:
            fail(where + ": ts, pid and tid must be numbers, ts >= 0")
            continue
        ph, track, ts = e["ph"], (e["pid"], e["tid"]), e["ts"]
        if ph == "M":
            if e.get("name") not in ("process_name", "process_sort_index", "thread_name") or \
                    not isinstance(e.get("args"), dict):
                fail(where + ": an M event names process_name, process_sort_index or "
                     "thread_name with args")
            continue
        timeline += 1
        if track in last_ts and ts < last_ts[track]:
            fail("%s: ts %s goes back on track %s (after %s)" % (where, ts, track, last_ts[track]))
        last_ts[track] = ts
        if ph == "B":
            if not isinstance(e.get("name"), str):
                fail(where + ": a B without a name")
            stacks[track].append((e.get("name"), ts, e.get("args", {})))
        elif ph == "E":
            if not stacks[track]:
                fail(where + ": an E with no open B on track %s" % (track,))
                continue
            name, begin, bargs = stacks[track].pop()
            returned = isinstance(e.get("args"), dict) and "result" in e["args"]
            whole = returned and not bargs.get("continued")
            slices[track].append((name, begin, ts, len(stacks[track]), whole))
            if returned:
                ended_forks[name] += 1
        elif ph in ("s", "f"):
            fid = e.get("id")
            book = flows_s if ph == "s" else flows_f
            if fid in book:
                fail(where + ": a second %s for flow %s" % (ph, fid))
            book[fid] = e
            if ph == "f" and e.get("bp") != "e":
                fail(where + ": an f without bp e")
            if not stacks[track]:
                fail(where + ": flow %s %s outside any slice of track %s" % (ph, fid, track))
        else:
            fail(where + ": unexpected ph %r" % ph)
    for track, st in stacks.items():
        if st:
            fail("%s: track %s ends with %d slices open (%s)" % (path, track, len(st), st[-1][0]))
    for fid in flows_s:
        if fid not in flows_f:
            fail("%s: flow %s has an s and no f" % (path, fid))
    for fid in flows_f:
        if fid not in flows_s:
            fail("%s: flow %s has an f and no s" % (path, fid))
    if other.get("events") != timeline:
        fail("%s: otherData.events %s, the file has %d" % (path, other.get("events"), timeline))
    if number(other.get("max_events")) and timeline > other["max_events"]:
        fail("%s: %d events, more than max_events %s" % (path, timeline, other["max_events"]))
    if other.get("truncated") and not ("events_dropped" in other and "cut_at_us" in other):
        fail("%s: truncated without events_dropped and cut_at_us" % path)
    for spec in expect_forks:
        name, n = spec.split("=")
        if ended_forks[name] != int(n):
            fail("%s: %d %s slices end with a result, expected %s" % (path, ended_forks[name], name, n))
    return doc, slices


def forks_hold_locks(path, slices):
    """Fork calls made whole inside the window hold lock slices."""
    forks = [0, 0]  # such fork slices, those holding a lock
    for track, ss in slices.items():
        if track[0] == 0:
            continue
        for name, b, e, depth, whole in ss:
            if name not in ("fork1", "forkall", "vfork") or not whole:
                continue
            forks[0] += 1
            if any(" @ " in s[0] and s[3] > depth and b <= s[1] and s[2] <= e for s in ss):
                forks[1] += 1
    if forks[0] == 0 or forks[1] == 0:
        fail("%s: %d fork calls made inside the window, %d holding a lock slice: "
             "expected some of each" % (path, forks[0], forks[1]))
    return forks


def run_forksim(binary):
    cases = [
        ("default", []),
        # From the start: once the table is full, the bomb's forks fail in
        # getproc and back off for longer than the window.
        ("fork-bomb", ["--trace-window", "0:0.01"]),
        ("forkall-threaded", []),
        ("build-farm", ["--trace-window", "0.1:0.3"]),
    ]
    with tempfile.TemporaryDirectory() as d:
        for name, extra in cases:
            out = os.path.join(d, name + ".json")
            args = [binary, "run", *( [name] if name != "default" else []), "--quiet",
                    "--set", "duration_s=0.3", "--set", "warmup_s=0.1", *extra, "--trace", out]
            r = subprocess.run(args, capture_output=True, text=True)
            if r.returncode != 0:
                fail("%s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()))
                continue
            got = check(out)
            if got:
                forks = forks_hold_locks(out, got[1])
                print("ok: %s: %d events, %d fork calls made in the window (%d holding locks)" %
                      (name, got[0]["otherData"]["events"], forks[0], forks[1]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trace", nargs="*")
    ap.add_argument("--forksim")
    ap.add_argument("--expect-forks", action="append", default=[])
    a = ap.parse_args()
    if not a.trace and not a.forksim:
        ap.error("a TRACE.json or --forksim")
    for t in a.trace:
        got = check(t, a.expect_forks)
        if got:
            print("ok: %s: %d events" % (t, got[0]["otherData"].get("events", 0)))
    if a.forksim:
        run_forksim(a.forksim)
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
