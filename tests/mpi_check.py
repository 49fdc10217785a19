#!/usr/bin/env python3
"""`forksim sweep --mpi` under mpirun, against the same sweep run locally.

usage: mpi_check.py --forksim BUILD/forksim --work DIR {equal,lost}

equal: `mpirun --oversubscribe -np 3 forksim sweep ... --mpi` writes the
  result `--jobs 2` writes locally (2 worker ranks, 2 jobs), but for the
  fields that cannot agree: each run's wall_time_s and the manifests'
  command_line (--mpi against --jobs 2) and host.
lost: with `--mca orte_enable_recovery 1`, worker rank 2 is SIGKILLed while
  it has a run; rank 0 names the rank and the lost points, exits 1 (read
  through a wrapper: mpirun itself exits 0 with recovery on), writes no
  result, and its partial log holds no lost point; the same command again
  resumes and ends with the uninterrupted result.
interrupt: SIGINT to rank 0 while both workers run: the workers' runs stop
  (their reports say so), rank 0 exits 130 keeping its partial log and
  writing no result, the workers exit 0.
Prints what differs and exits 1 on a failure.
"""
import argparse
import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def comparable(x, key=None):
    """x without what differs between runs of the same sweep."""
    if isinstance(x, dict):
        out = {}
        for k, v in x.items():
            if k == "wall_time_s":
                continue
            if key == "manifest" and k in ("command_line", "host"):
                continue
            out[k] = comparable(v, k)
        return out
    if isinstance(x, list):
        return [comparable(v) for v in x]
    return x


def first_difference(a, b, path=""):
    if type(a) is not type(b):
        return f"{path}: {a!r} against {b!r}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}: only in {'the first' if k in a else 'the second'}"
            d = first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items against {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {a!r} against {b!r}"


def same_result(mpi_path, local_path):
    with open(mpi_path) as f:
        a = comparable(json.load(f))
    with open(local_path) as f:
        b = comparable(json.load(f))
    d = first_difference(a, b)
    if d:
        fail(f"{mpi_path} and {local_path} differ at {d}")


# Every mpirun started, so that none outlives the test: a case that fails
# or times out (a hang is what the lost-rank case guards against) would
# otherwise leave its ranks polling on the machine's cores.
MPIRUNS = []


def descendants(pid):
    kids = []
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(k) for k in f.read().split()]
    except OSError:
        pass
    return kids + [d for k in kids for d in descendants(k)]


@atexit.register
def kill_leftovers():
    for p in MPIRUNS:
        if p.poll() is None:
            for pid in [p.pid] + descendants(p.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            p.wait()


def mpirun(cmd, work, timeout):
    """Runs cmd (an mpirun line) to its end: (returncode, stdout, stderr)."""
    p = start_mpirun(cmd, work)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        fail(f"mpirun still running after {timeout} s: {' '.join(cmd)}")
    return p.returncode, out, err


def start_mpirun(cmd, work):
    p = subprocess.Popen(cmd, cwd=work, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    MPIRUNS.append(p)
    return p


def sweep_args(out, extra):
    return ["sweep", "base.json", "-o", out] + extra


def run_local(forksim, work, out, extra):
    r = subprocess.run([forksim] + sweep_args(out, extra + ["--jobs", "2"]), cwd=work,
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail(f"the local sweep exited {r.returncode}: {r.stderr}")


def mpirun_command(forksim, out, extra, recovery):
    cmd = ["mpirun", "--oversubscribe", "-np", "3"]
    if recovery:
        cmd += ["--mca", "orte_enable_recovery", "1"]
    # Each rank's own exit status, which mpirun does not pass on with recovery on.
    wrapper = '"$0" "$@"; s=$?; echo $s > status.$OMPI_COMM_WORLD_RANK; exit $s'
    return cmd + ["sh", "-c", wrapper, forksim] + sweep_args(out, extra + ["--mpi"])


def rank0_status(work):
    with open(os.path.join(work, "status.0")) as f:
        return int(f.read())


def case_equal(forksim, work):
    extra = ["--vary", "machine.ncpus=1,2,4", "--replications", "2",
             "--set", "duration_s=0.2", "--set", "timeseries_s=0.1"]
    run_local(forksim, work, "local.json", extra)
    code, out, err = mpirun(mpirun_command(forksim, "mpi.json", extra, False), work, 120)
    if code != 0 or rank0_status(work) != 0:
        fail(f"mpirun exited {code}: {out}{err}")
    same_result(os.path.join(work, "mpi.json"), os.path.join(work, "local.json"))
    with open(os.path.join(work, "mpi.json")) as f:
        jobs = json.load(f)["points"][0]["replications"]["jobs"]
    if jobs != 2:
        fail(f"the MPI sweep records {jobs} jobs, not its 2 worker ranks")


def parent(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def descends(pid, ancestor):
    while pid > 1:
        if pid == ancestor:
            return True
        pid = parent(pid)
    return False


def rank_pids(rank, mpirun):
    """The forksim processes under mpirun that are the rank itself, not its runs."""
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/environ", "rb") as f:
                env = f.read().split(b"\0")
            with open(f"/proc/{p}/cmdline", "rb") as f:
                argv0 = f.read().split(b"\0")[0]
        except OSError:
            continue
        if f"OMPI_COMM_WORLD_RANK={rank}".encode() not in env or not argv0.endswith(b"forksim"):
            continue
        ppid = parent(int(p))
        if not descends(ppid, mpirun):
            continue
        try:
            with open(f"/proc/{ppid}/cmdline", "rb") as f:
                parent_argv0 = f.read().split(b"\0")[0]
        except OSError:
            continue
        if not parent_argv0.endswith(b"forksim"):
            pids.append(int(p))
    return pids


def cwd_of(pid):
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return None


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def in_run(worker):
    """Whether a worker rank has a run going: a child of its run server."""
    return any(children(server) for server in children(worker))


def case_lost(forksim, work):
    # Runs long enough (0.07-0.3 s each as processes, timed on 2026-12-02;
    # at duration_s=2 they had become 0.03 s, and the sweep could end
    # before rank 2 was caught) that rank 2 is caught in one after a point
    # is logged.
    extra = ["--vary", "workload.parents=2,4,6,8", "--replications", "2", "--mpi-timeout-s", "1",
             "--set", "duration_s=100", "--set", "timeseries_s=0.5"]
    local_extra = [a for a in extra if a not in ("--mpi-timeout-s", "1")]
    run_local(forksim, work, "local.json", local_extra)
    cmd = mpirun_command(forksim, "mpi.json", extra, True)
    log = os.path.join(work, "mpi.json.partial.jsonl")
    p = start_mpirun(cmd, work)
    killed = None
    rank2 = []
    deadline = time.time() + 60
    while killed is None and time.time() < deadline and p.poll() is None:
        rank2 = rank2 or rank_pids(2, p.pid)
        lines = open(log).read().count("\n") if os.path.exists(log) else 0
        for pid in rank2:
            if lines >= 2 and in_run(pid):  # a point logged, and rank 2 in a run
                os.kill(pid, signal.SIGKILL)
                killed = pid
        time.sleep(0.005)
    out, err = p.communicate(timeout=120)
    if killed is None:
        fail(f"rank 2 was never caught in a run (mpirun exited {p.returncode}): {err}")
    status = rank0_status(work)
    if status != 1:
        fail(f"rank 0 exited {status}, not 1: {err}")
    m = re.search(r"rank 2 went silent for 1 s \(--mpi-timeout-s\) and is lost; lost the runs of "
                  r"((?:point \d+ \([^)]*\)(?:, )?)+);", err)
    if not m:
        fail(f"rank 0 does not name rank 2 and its lost points: {err}")
    lost = [int(i) for i in re.findall(r"point (\d+)", m.group(1))]
    if "the same command runs the lost points again" not in err:
        fail(f"rank 0 does not say how to run the lost points: {err}")
    if os.path.exists(os.path.join(work, "mpi.json")):
        fail("a result was written though points were lost")
    with open(log) as f:
        logged = [json.loads(line)["index"] for line in f.read().splitlines()[1:]]
    if set(lost) & set(logged) or len(set(logged)) != len(logged):
        fail(f"the partial log has points {logged}, lost {lost}")
    os.remove(os.path.join(work, "status.0"))
    _, _, err = mpirun(mpirun_command(forksim, "mpi.json", extra, True), work, 120)
    if rank0_status(work) != 0:
        fail(f"the rerun exited {rank0_status(work)}: {err}")
    if f"running {4 - len(logged)}" not in err:
        fail(f"the rerun does not resume the {4 - len(logged)} points left: {err}")
    same_result(os.path.join(work, "mpi.json"), os.path.join(work, "local.json"))


def case_interrupt(forksim, work):
    # Runs far longer than the test: only a forwarded SIGINT ends them soon.
    extra = ["--vary", "workload.parents=2,4", "--replications", "2", "--set", "duration_s=1000"]
    p = start_mpirun(mpirun_command(forksim, "mpi.json", extra, False), work)
    deadline = time.time() + 60
    workers = []
    while time.time() < deadline and p.poll() is None:
        workers = rank_pids(1, p.pid) + rank_pids(2, p.pid)
        if len(workers) == 2 and all(in_run(w) for w in workers):
            break
        time.sleep(0.02)
    rank0 = rank_pids(0, p.pid)
    if len(workers) != 2 or len(rank0) != 1:
        fail(f"the workers were never both in a run (mpirun exited {p.poll()})")
    t0 = time.time()
    os.kill(rank0[0], signal.SIGINT)
    out, err = p.communicate(timeout=60)
    took = time.time() - t0
    # Rank 0 exits 130 once the workers have stopped their runs and left;
    # mpirun then ends the job because rank 0's status is not 0, and may
    # kill a worker's shell before it records its own 0 (seen under load),
    # so a worker's status counts only when it got written.
    statuses = [rank0_status(work)]
    for r in (1, 2):
        path = os.path.join(work, f"status.{r}")
        statuses.append(int(open(path).read()) if os.path.exists(path) else None)
    if statuses[0] != 130 or any(st not in (0, None) for st in statuses[1:]):
        fail(f"rank 0, 1, 2 exited {statuses}, not [130, 0, 0]: {err}")
    # A worker killed by mpirun leaves its run server, which notices within
    # 0.1 s (its socket closes) and ends with its run.
    left_until = time.time() + 2
    while True:
        left = [pid for pid in os.listdir("/proc") if pid.isdigit() and cwd_of(pid) == os.path.realpath(work)]
        if not left or time.time() > left_until:
            break
        time.sleep(0.02)
    if left:
        fail(f"processes left running in the sweep's directory after mpirun ended: {left}")
    if "forksim sweep: interrupted by SIGINT; the 0 finished or failed points are in " not in err:
        fail(f"rank 0 does not say it was interrupted: {err}")
    if os.path.exists(os.path.join(work, "mpi.json")) or not os.path.exists(
            os.path.join(work, "mpi.json.partial.jsonl")):
        fail("an interrupted sweep must keep its partial log and write no result")
    if took > 20:
        fail(f"the workers' runs took {took:.1f} s to stop")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--forksim", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("case", choices=["equal", "lost", "interrupt"])
    a = ap.parse_args()
    if not shutil.which("mpirun"):
        fail("mpirun not found (scripts/setup.sh installs openmpi-bin)")
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    with open(os.path.join(a.work, "base.json"), "w") as f:
        f.write("{}\n")
    {"equal": case_equal, "lost": case_lost, "interrupt": case_interrupt}[a.case](os.path.abspath(a.forksim), a.work)
    print(f"mpi_check {a.case}: ok")


if __name__ == "__main__":
    main()
