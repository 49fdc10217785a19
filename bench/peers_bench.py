#!/usr/bin/env python3
"""The reference fork model timed in forksim's engine and in its peers.

Runs forksim_ref_fork (bench/ref_fork.hpp) and the peer programs of
../shared/peers/ (a hand-written event heap, plain SimGrid with sleep_for
and join, SimPy 3), interleaved: each run of the bench runs every engine
once at each parent count, one after the other, so that the engines of one
run share the machine's conditions. Each program is measured from outside
as a whole process (wall time from start to reaping, CPU time from
wait4), and its answer read from its `forks=` field.

Prints forks per wall-second (medians over the runs) and the ratios
forksim/SimGrid, forksim/SimPy and heap/forksim, each the median of the
ratios of one run's pair, against the targets (>= 5x, >= 20x, <= 15x).
Exit status: 0 when every program ran and agreed with the heap's answer
within the peers' tie-order spread (a missed target is not a failure), 1
when one failed or disagreed, 2 on bad usage.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

TARGETS = {  # ratio name -> (numerator, denominator, bound, at least?)
    "forksim/SimGrid": ("forksim", "simgrid", 5.0, True),
    "forksim/SimPy": ("forksim", "simpy", 20.0, True),
    "heap/forksim": ("heap", "forksim", 15.0, False),
}
LABELS = {
    "forksim": "forksim's engine (forksim_ref_fork)",
    "heap": "hand-written event heap (fork_heap)",
    "simgrid": "plain SimGrid, sleep_for + join (fork_sg)",
    "simpy": "SimPy 3 (fork_simpy.py)",
}
# The peers' answers differ by at most this share (README of the peers:
# 771,072 to 772,928 at 64 parents), from the order of same-instant events.
TIE_SPREAD = 0.003


def run_measured(argv):
    """Runs argv as a whole process; its figures, or raises RuntimeError saying why not."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdout=out, stderr=err)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        text, etext = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (argv[0], proc.returncode, etext[-500:]))
    m = re.search(r"\bforks=(\d+)", text)
    if not m:
        raise RuntimeError("%s printed no forks= field: %r" % (argv[0], text[-300:]))
    forks = int(m.group(1))
    # No peak RSS: ru_maxrss counts the forked Python from before the exec.
    return {"forks": forks, "wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime,
            "forks_per_wall_s": forks / wall if wall > 0 else 0.0, "line": text.strip()}


def programs(args):
    found = {}
    if os.access(args.forksim, os.X_OK):
        found["forksim"] = lambda c, n, t: [args.forksim, str(c), str(n), str(t)]
    heap = os.path.join(args.peers_bin, "fork_heap")
    if os.access(heap, os.X_OK):
        found["heap"] = lambda c, n, t: [heap, str(c), str(n), str(t)]
    sg = os.path.join(args.peers_bin, "fork_sg")
    if os.access(sg, os.X_OK):
        found["simgrid"] = lambda c, n, t: [sg, str(c), str(n), str(t), "sleep", "join"]
    simpy_py = os.path.join(args.peers_src, "fork_simpy.py")
    if os.path.exists(simpy_py) and _has_simpy(args.simpy_python):
        found["simpy"] = lambda c, n, t: [args.simpy_python, simpy_py, str(c), str(n), str(t)]
    return found


def _has_simpy(python):
    try:
        return subprocess.run([python, "-c", "import simpy"], capture_output=True).returncode == 0
    except OSError:
        return False


def fmt_rate(x):
    return "{:,.0f}".format(x) if x is not None else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--forksim", required=True, help="the forksim_ref_fork binary")
    ap.add_argument("--peers-bin", required=True, help="where fork_heap and fork_sg were built")
    ap.add_argument("--peers-src", required=True, help="the peers' sources (fork_simpy.py)")
    ap.add_argument("--simpy-python", default="/usr/bin/python3", help="a Python with simpy (Debian's)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cpus", type=int, default=8)
    ap.add_argument("--parents", default="64,1024", help="comma-separated parent counts")
    ap.add_argument("--horizon", type=float, default=10.0, help="simulated seconds per run")
    ap.add_argument("--json", help="also write every run's figures to this file")
    args = ap.parse_args()
    try:
        parents = [int(x) for x in args.parents.split(",")]
    except ValueError:
        ap.error("--parents: a comma-separated list of integers, not %r" % args.parents)
    if args.runs < 1 or args.cpus < 1 or any(n < 1 for n in parents) or not args.horizon > 0:
        ap.error("--runs, --cpus and --parents must be >= 1, --horizon > 0")

    progs = programs(args)
    if "forksim" not in progs:
        print("peers_bench: %s is not an executable" % args.forksim, file=sys.stderr)
        return 2
    for name in LABELS:
        if name not in progs:
            print("peers_bench: %s not available; skipped (scripts/bench.sh --peers builds it)" % LABELS[name],
                  file=sys.stderr)

    runs = {n: {name: [] for name in progs} for n in parents}
    failed = []
    for r in range(args.runs):
        for n in parents:
            for name, argv_of in progs.items():
                argv = argv_of(args.cpus, n, "%g" % args.horizon)
                try:
                    fig = run_measured(argv)
                except (RuntimeError, OSError) as e:
                    failed.append("%s N=%d run %d: %s" % (name, n, r + 1, e))
                    runs[n][name].append(None)
                    continue
                runs[n][name].append(fig)
                print("run %d N=%d %-8s forks=%d wall %.2f s cpu %.2f s" %
                      (r + 1, n, name, fig["forks"], fig["wall_s"], fig["cpu_s"]), file=sys.stderr)

    # The answers: each engine's against the heap's, within the tie spread.
    for n in parents:
        ref = [f["forks"] for f in runs[n].get("heap", []) if f]
        for name, figs in runs[n].items():
            for f in figs:
                if f and ref and abs(f["forks"] - ref[0]) > TIE_SPREAD * ref[0]:
                    failed.append("%s N=%d: %d forks, the heap's %d (beyond the %.1f%% tie spread)" %
                                  (name, n, f["forks"], ref[0], 100 * TIE_SPREAD))

    def med(n, name, key):
        v = [f[key] for f in runs[n].get(name, []) if f and f[key] is not None]
        return statistics.median(v) if v else None

    def pair_ratio(n, num, den):
        v = [a["forks_per_wall_s"] / b["forks_per_wall_s"]
             for a, b in zip(runs[n].get(num, []), runs[n].get(den, []))
             if a and b and b["forks_per_wall_s"] > 0]
        return statistics.median(v) if v else None

    print("Reference fork model, C=%d, T=%g s, %d run(s) interleaved; whole-process wall time, medians"
          % (args.cpus, args.horizon, args.runs))
    head = "| engine | " + " | ".join("N=%d forks per wall-s" % n for n in parents) + \
           " | " + " | ".join("N=%d forks" % n for n in parents) + " |"
    print(head)
    print("|---|" + "---:|" * (2 * len(parents)))
    for name in progs:
        rates = [fmt_rate(med(n, name, "forks_per_wall_s")) for n in parents]
        forks = ["{:,}".format(int(med(n, name, "forks"))) if med(n, name, "forks") is not None else "-"
                 for n in parents]
        print("| %s | %s | %s |" % (LABELS[name], " | ".join(rates), " | ".join(forks)))
    print()
    print("| ratio (median of one run's pairs) | " + " | ".join("N=%d" % n for n in parents) + " | target |")
    print("|---|" + "---:|" * len(parents) + "---|")
    summary = {}
    for label, (num, den, bound, at_least) in TARGETS.items():
        cells, ok = [], True
        for n in parents:
            x = pair_ratio(n, num, den)
            summary.setdefault(label, {})[str(n)] = x
            if x is None:
                cells.append("-")
                ok = False
                continue
            cells.append("%.1fx" % x)
            ok = ok and (x >= bound if at_least else x <= bound)
        verdict = ("PASS" if ok else "MISS") if all(c != "-" for c in cells) else "n/a"
        print("| %s | %s | %s %gx %s |" % (label, " | ".join(cells), ">=" if at_least else "<=", bound, verdict))
    if args.json:
        with open(args.json + ".tmp", "w") as f:
            json.dump({"cpus": args.cpus, "horizon_s": args.horizon, "runs": runs, "ratios": summary}, f, indent=1)
        os.replace(args.json + ".tmp", args.json)
    for msg in failed:
        print("peers_bench: " + msg, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
