#!/usr/bin/env python3
"""Tests tests/render_check.py: each fixture gets its verdict; a broken
Chromium is a skip or a failure as it should be, and is killed.

usage: render_fixtures.py --fixtures DIR --work DIR     (needs Chromium; 77 without)
       render_fixtures.py --offline --work DIR           (needs no browser)

DIR/cases.json lists the cases: each a page made from DIR/good.html by its
edits (each old text must occur once in it), the render_check arguments, the
exit status render_check must give and the texts its stderr must hold:
  {"name", "why", "edits": [[old, new], ...], "args": [...], "status", "says": [...]}
The pages are written to WORK/pages/NAME.html, to be opened when one fails.
--offline runs render_check against stand-in browsers: a binary that does
not exist, one that exits at once, one that never answers, and one that
answers the first command and then hangs (with a child of its own). The first
three must give 77 (Chromium did not start), the last 1 within the timeout,
and no process of a stand-in may outlive render_check. It also holds the
screenshot check to PNGs made here: one colour (written with each of PNG's
five row filters, so that a wrong unfiltering shows as a second colour) is
refused, two colours pass, a truncated file or a bad CRC is refused.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import textwrap
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from render_check import png_problem  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = os.path.join(HERE, "render_check.py")
failures = []


def check(what, ok, detail=""):
    print("%s: %s%s" % ("ok" if ok else "FAIL", what, "" if ok else "\n" + detail))
    if not ok:
        failures.append(what)


def run_check(args, timeout=60):
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, CHECK] + args, capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stderr, time.monotonic() - t0


def fixtures(directory, work):
    with open(os.path.join(directory, "good.html"), encoding="utf-8") as f:
        good = f.read()
    with open(os.path.join(directory, "cases.json"), encoding="utf-8") as f:
        cases = json.load(f)
    os.makedirs(os.path.join(work, "pages"), exist_ok=True)
    for case in cases:
        name, page = case["name"], good
        for old, new in case["edits"]:
            if page.count(old) != 1:
                sys.exit("render_fixtures: case %s: %r occurs %d times in good.html, not once"
                         % (name, old, page.count(old)))
            page = page.replace(old, new)
        path = os.path.join(work, "pages", name + ".html")
        with open(path, "w", encoding="utf-8") as f:
            f.write(page)
        args = case["args"] + [
            "--profile-parent", os.path.join(work, "profiles"),
            "--screenshot", os.path.join(work, "artifacts", "fixture-%s.png" % name)]
        status, err, _ = run_check([path] + args)
        if status == 77:
            print(err, end="")
            print("render_fixtures: SKIP: Chromium cannot start")
            return 77
        missing = [t for t in case["says"] if t not in err]
        check("%s (%s): exit %d%s" % (name, case["why"], case["status"],
                                      "".join(", says %r" % t for t in case["says"])),
              status == case["status"] and not missing,
              "  got exit %d; missing %s; stderr:\n%s" % (status, missing,
                                                           textwrap.indent(err, "    ")))
    return 0


FAKE = r"""#!%(python)s
# A stand-in for chromium (render_fixtures.py): MODE is its behaviour.
import os, subprocess, sys, time
mode = os.environ["FAKE_CHROMIUM_MODE"]
child = subprocess.Popen(["sleep", "300"])
with open(os.environ["FAKE_CHROMIUM_PIDS"], "w") as f:
    f.write("%%d %%d\n" %% (os.getpid(), child.pid))
if mode == "exit":
    sys.stderr.write("fake chromium: cannot open display\n")
    sys.exit(3)
if mode == "answer-once":
    msg = b""
    while b"\0" not in msg:
        msg += os.read(3, 4096)
    os.write(4, b'{"id": 1, "result": {"product": "Fake/1"}}\0')
time.sleep(300)
"""


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def fake_chromium(work):
    os.makedirs(work, exist_ok=True)
    fake = os.path.join(work, "fake-chromium")
    with open(fake, "w") as f:
        f.write(FAKE % {"python": sys.executable})
    os.chmod(fake, 0o755)
    page = os.path.join(HERE, "fixtures", "html", "good.html")
    pids = os.path.join(work, "fake-chromium.pids")
    cases = [("a Chromium that does not exist", os.path.join(work, "no-such-chromium"), None,
              77, "SKIP: cannot run"),
             ("a Chromium that exits at once", fake, "exit", 77,
              "SKIP: Chromium exited (status 3)"),
             ("a Chromium that never answers", fake, "silent", 77,
              "SKIP: Chromium did not answer within 3 s; killed"),
             ("a Chromium that answers once, then hangs", fake, "answer-once", 1,
              "FAIL: Chromium started but did not answer within 3 s (waiting for "
              "Target.createTarget); killed")]
    for what, binary, mode, want, text in cases:
        if os.path.exists(pids):
            os.remove(pids)
        os.environ["FAKE_CHROMIUM_PIDS"] = pids
        os.environ["FAKE_CHROMIUM_MODE"] = mode or ""
        status, err, took = run_check([page, "--expect-charts", "cpu", "--timeout", "3",
                                       "--chromium", binary,
                                       "--profile-parent", os.path.join(work, "profiles")])
        left = []
        if mode:
            with open(pids) as f:
                left = [int(p) for p in f.read().split() if alive(int(p))]
        check("%s: exit %d in %.1f s, says %r, leaves no process" % (what, want, took, text),
              status == want and text in err and took < 10 and not left,
              "  got exit %d after %.1f s; processes left %s; stderr:\n%s"
              % (status, took, left, textwrap.indent(err, "    ")))


def png(width, height, pixel, filters):
    """An RGB PNG; pixel(x, y) -> (r, g, b); row y written with filters[y % len]."""
    bpp, stride = 3, 3 * width
    prev, raw = bytes(stride), bytearray()
    for y in range(height):
        cur = bytes(c for x in range(width) for c in pixel(x, y))
        kind = filters[y % len(filters)]
        out = bytearray([kind])
        for i in range(stride):
            a = cur[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            predict = [0, a, b, (a + b) >> 1,
                       a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c)
                       else b if abs(p - b) <= abs(p - c) else c][kind]
            out.append((cur[i] - predict) & 255)
        raw += out
        prev = cur

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b""))


def png_cases():
    flat = png(40, 10, lambda x, y: (200, 120, 30), [0, 1, 2, 3, 4])
    dot = png(40, 10, lambda x, y: (0, 0, 0) if (x, y) == (39, 9) else (255, 255, 255),
              [4, 3, 2, 1, 0])
    cases = [("a PNG of one colour, every row filter", flat,
              "40x10 pixels all of one colour (c8781e)"),
             ("a PNG with one pixel of another colour (the last)", dot, None),
             ("an empty file", b"", "the file is empty"),
             ("a truncated PNG", flat[:-20], "truncated"),
             ("a PNG with a bad CRC", flat[:20] + bytes([flat[20] ^ 1]) + flat[21:],
              "bad CRC in chunk IHDR")]
    for what, data, want in cases:
        got = png_problem(data)
        check("screenshot check: %s: %s" % (what, want or "passes"),
              got == want if want is None or not want.startswith("truncated")
              else (got or "").startswith(want), "  got %r" % got)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures")
    ap.add_argument("--offline", action="store_true")
    ap.add_argument("--work", required=True, help="scratch directory (profiles, screenshots)")
    a = ap.parse_args()
    if bool(a.fixtures) == a.offline:
        ap.error("give --fixtures DIR or --offline")
    if a.fixtures:
        status = fixtures(a.fixtures, a.work)
        if status:
            return status
    else:
        fake_chromium(a.work)
        png_cases()
    if failures:
        print("render_fixtures: %d failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
