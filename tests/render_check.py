#!/usr/bin/env python3
"""Renders a forksim HTML report in headless Chromium and checks it.

usage: render_check.py REPORT.html --expect-charts N1,N2 [--screenshot OUT.png]
           [--expect-in NAME=SELECTOR]... [--expect-sections ID,ID] [--clip SELECTOR]
           [--width PX] [--height PX] [--timeout S] [--chromium PATH] [--profile-parent DIR]

Chart names are the NAME of `<figure class="chart" id="chart-NAME">`
(ISSUE13 design, "HTML contract"); a name may be a glob (`sweep-*`: at least
one such chart). Python 3 standard library only. Checks:
- in the file as written: no <script>, no event-handler attribute, no
  external reference (an http:, https:, // or file URL in an attribute, a
  src/href/... to anything but a #fragment or a data:image, @import, url()
  other than url(#id)); every inline <svg> is well-formed XML, so that a
  malformed chart (an element left open, a stray end tag) fails here: the
  browser's HTML parser would repair it silently;
- in Chromium, scripts disabled, over the DevTools protocol on a pipe: the
  page loads, fetches nothing but itself, and logs no error (console errors
  include what the renderer reports with scripts off, e.g. an SVG attribute
  it cannot parse, a resource it cannot load; chromium's --enable-logging
  drops those, hence the protocol); every chart has exactly one
  <svg role="img"> with a <title>, an axis, >= 1 `.mark` drawn with a non-empty
  box and none wholly outside the chart, a <figcaption> and a chart-data
  table; each expected chart, section and selector is there;
- the screenshot (full page, or the --clip element's box) is a PNG with
  pixels that are not all one colour.
Exit 0 pass, 1 fail (each failure named on stderr), 2 usage, 77 when Chromium
is missing or does not start (CTest's SKIP_RETURN_CODE). A Chromium that
starts and then stops answering is killed at --timeout: exit 1.
"""
import argparse
import base64
import fnmatch
import html.entities
import html.parser
import json
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
import zlib

SKIP = 77
CHROMIUM_NAMES = ["chromium", "chromium-browser", "google-chrome"]


# ---------------------------------------------------------------------------
# The file as written

# Attributes whose value the browser may fetch or navigate to.
URL_ATTRIBUTES = {"src", "href", "xlink:href", "srcset", "action", "formaction", "poster",
                  "data", "background", "cite", "longdesc", "manifest", "ping", "codebase",
                  "archive", "usemap", "icon", "profile"}
# Namespace declarations are names, never fetched: http: is allowed there.
NAMESPACE_ATTRIBUTES = re.compile(r"^xmlns(:[\w.-]+)?$")
SELF_CONTAINED = re.compile(r"^(#|data:image/(png|jpeg|gif|webp|svg\+xml)[;,])", re.I)
URL_IN_TEXT = re.compile(r"(https?:|file:|^\s*//)", re.I)


def css_problems(css, where):
    """External references in CSS: @import, url() other than url(#id)."""
    out = []
    if re.search(r"@import", css, re.I):
        out.append("%s: @import (an external style sheet)" % where)
    for m in re.finditer(r"url\(\s*(['\"]?)([^'\")]*)\1\s*\)", css, re.I):
        if not m.group(2).startswith("#"):
            out.append("%s: url(%s) is an external reference (only url(#id) is allowed)"
                       % (where, m.group(2)))
    return out


class SourceScan(html.parser.HTMLParser):
    """Collects what the contract forbids in the HTML source."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.in_style = False

    def where(self, tag):
        return "line %d <%s>" % (self.getpos()[0], tag)

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.problems.append("%s: a script (the page must read with scripts disabled)"
                                 % self.where(tag))
        if tag == "style":
            self.in_style = True
        if tag == "meta" and any(k == "http-equiv" and (v or "").lower() == "refresh"
                                 for k, v in attrs):
            self.problems.append("%s: a refresh (navigates away)" % self.where(tag))
        for name, value in attrs:
            value = value or ""
            what = "%s %s=\"%s\"" % (self.where(tag), name, value[:80])
            if name.startswith("on"):
                self.problems.append("%s: an event-handler attribute is a script" % what)
            elif re.match(r"\s*javascript:", value, re.I):
                self.problems.append("%s: a javascript: URL is a script" % what)
            elif NAMESPACE_ATTRIBUTES.match(name):
                continue
            elif name in URL_ATTRIBUTES and not SELF_CONTAINED.match(value):
                self.problems.append("%s: an external reference (only #fragments are allowed)"
                                     % what)
            elif URL_IN_TEXT.search(value):
                self.problems.append("%s: an external URL" % what)
            elif name == "style":
                self.problems.extend(css_problems(value, what))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "style":
            self.in_style = False

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        if self.in_style:
            self.problems.extend(css_problems(data, "line %d <style>" % self.getpos()[0]))


def svg_sources(text):
    """(line, chart id or None, source) of each outermost <svg>...</svg>."""
    # Comments blanked (their newlines kept, for the line numbers): an
    # <svg> named in a comment is not one.
    text = re.sub(r"<!--.*?-->", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)
    out = []
    depth, start = 0, None
    for m in re.finditer(r"<(/?)svg\b[^>]*?(/?)>", text, re.I):
        closing, empty = m.group(1) == "/", m.group(2) == "/"
        if not closing and not empty:
            if depth == 0:
                start = m.start()
            depth += 1
        elif closing and depth > 0:
            depth -= 1
            if depth == 0:
                out.append((start, text[start:m.end()]))
        elif empty and depth == 0:
            out.append((m.start(), m.group(0)))
    if depth > 0:
        out.append((start, text[start:]))
    result = []
    for pos, src in out:
        figures = list(re.finditer(r"<figure\b[^>]*\bid=\"([^\"]*)\"", text[:pos], re.I))
        result.append((text.count("\n", 0, pos) + 1, figures[-1].group(1) if figures else None, src))
    return result


def svg_problems(text):
    """Each inline SVG must parse as XML (HTML's named entities allowed)."""
    out = []
    for line, chart, src in svg_sources(text):
        parser = ET.XMLParser()
        parser.entity.update({k: chr(v) for k, v in html.entities.name2codepoint.items()})
        # HTML lets an inline SVG use xlink:href undeclared; XML does not.
        src = re.sub(r"^<svg\b", '<svg xmlns:xlink="http://www.w3.org/1999/xlink"', src, count=1) \
            if "xmlns:xlink" not in src else src
        try:
            parser.feed(src)
            parser.close()
        except ET.ParseError as e:
            row = e.position[0]
            out.append("%s: the <svg> at line %d is not well-formed XML: %s at line %d"
                       % (chart or "an svg outside any chart", line, str(e).split(":")[0],
                          line + row - 1))
    return out


def source_problems(text):
    scan = SourceScan()
    scan.feed(text)
    scan.close()
    return scan.problems + svg_problems(text)


# ---------------------------------------------------------------------------
# The screenshot

def unfilter(kind, line, prev, bpp):
    """A row's bytes from its PNG filter type, its filtered bytes and the row above."""
    if kind == 0:
        return bytes(line)
    cur = bytearray(line)
    n = len(cur)
    if kind == 1:
        for i in range(bpp, n):
            cur[i] = (cur[i] + cur[i - bpp]) & 255
    elif kind == 2:
        for i in range(n):
            cur[i] = (cur[i] + prev[i]) & 255
    elif kind == 3:
        for i in range(n):
            left = cur[i - bpp] if i >= bpp else 0
            cur[i] = (cur[i] + ((left + prev[i]) >> 1)) & 255
    elif kind == 4:
        for i in range(n):
            a = cur[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    else:
        raise ValueError("unknown filter type %d" % kind)
    return bytes(cur)


def png_problem(data):
    """None when data is a PNG with at least two colours, else what is wrong."""
    if not data:
        return "the file is empty"
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return "not a PNG (bad signature)"
    pos, ihdr, idat = 8, None, []
    while True:
        if pos + 12 > len(data):
            return "truncated (no IEND chunk)"
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = data[pos + 8 + length:pos + 12 + length]
        if len(body) != length or len(crc) != 4:
            return "truncated in chunk %s" % kind.decode("latin-1")
        if zlib.crc32(kind + body) != struct.unpack(">I", crc)[0]:
            return "bad CRC in chunk %s" % kind.decode("latin-1")
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if ihdr is None or not idat:
        return "no IHDR or no IDAT chunk"
    width, height, depth, colour, _, _, interlace = ihdr
    if width == 0 or height == 0:
        return "%dx%d pixels" % (width, height)
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace:
        return "unsupported PNG (bit depth %d, colour type %d, interlace %d)" % (depth, colour,
                                                                                 interlace)
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as e:
        return "image data does not inflate: %s" % e
    stride = width * channels
    if len(raw) != height * (stride + 1):
        return "image data is %d bytes, %dx%d needs %d" % (len(raw), width, height,
                                                          height * (stride + 1))
    prev, flat = bytes(stride), None
    for y in range(height):
        row = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        try:
            cur = unfilter(row[0], row[1:], prev, channels)
        except ValueError as e:
            return "row %d: %s" % (y, e)
        if flat is None:
            flat = cur[:channels] * width
        if cur != flat:
            return None
        prev = cur
    return "%dx%d pixels all of one colour (%s)" % (width, height, flat[:channels].hex())


# ---------------------------------------------------------------------------
# Chromium over the DevTools protocol (--remote-debugging-pipe: commands on
# the child's fd 3, answers and events on its fd 4, each a JSON text ended by
# a NUL byte).

class NotStarted(Exception):
    pass


class Hung(Exception):
    pass


class Chromium:
    def __init__(self, binary, profile, timeout, log_path):
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self.started = False
        self.events = []
        self.next_id = 0
        self.buf = b""
        self.log_path = log_path
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()

        def fds():
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [binary, "--headless", "--no-sandbox", "--disable-gpu",
                "--blink-settings=scriptEnabled=false", "--remote-debugging-pipe",
                "--user-data-dir=" + profile, "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-sync",
                "--hide-scrollbars", "--mute-audio", "--disable-dev-shm-usage",
                # A reference that slips through must not reach the network.
                "--host-resolver-rules=MAP * ~NOTFOUND", "about:blank"]
        self.log = open(log_path, "wb")
        try:
            # Its own session: the browser, zygote, renderer and GPU processes
            # are killed together by their group id.
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log,
                                         stderr=self.log, pass_fds=(3, 4), preexec_fn=fds,
                                         start_new_session=True)
        except OSError as e:
            self.log.close()
            raise NotStarted("cannot run %s: %s" % (binary, e))
        finally:
            os.close(to_child_r)
            os.close(from_child_w)

    def log_tail(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join("  chromium: " + l for l in lines[-8:])

    def _read(self, step):
        while b"\0" not in self.buf:
            left = self.deadline - time.monotonic()
            ready = select.select([self.from_child], [], [], max(left, 0))[0] if left > 0 else []
            if not ready:
                if self.started:
                    raise Hung("Chromium started but did not answer within %g s (%s); killed"
                               % (self.timeout, step))
                raise NotStarted("Chromium did not answer within %g s; killed" % self.timeout)
            chunk = os.read(self.from_child, 1 << 16)
            if not chunk:
                status = self.proc.wait()
                what = "Chromium exited (status %d) %s" % (status, step)
                if self.started:
                    raise Hung(what)
                raise NotStarted(what)
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        try:
            os.write(self.to_child, json.dumps(msg).encode() + b"\0")
        except BrokenPipeError:
            status = self.proc.wait()
            raise (Hung if self.started else NotStarted)(
                "Chromium exited (status %d) before %s" % (status, method))
        while True:
            answer = self._read("waiting for " + method)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError("%s: %s" % (method, answer["error"].get("message")))
                return answer.get("result", {})
            self.events.append(answer)

    def wait_event(self, method, session):
        while True:
            for e in self.events:
                if e.get("method") == method and e.get("sessionId") == session:
                    return e
            self.events.append(self._read("waiting for " + method))

    def close(self):
        """Kills the browser's process group: the profile is thrown away, so
        nothing is lost, and a browser that would not close cannot linger."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        for fd in (self.to_child, self.from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        self.log.close()


# Run in the page by DevTools (the page's own scripts are off): what each
# chart holds, as the browser parsed and laid it out.
INSPECT = r"""
((expectIn) => {
  const XHTML = 'http://www.w3.org/1999/xhtml';
  const charts = [];
  for (const f of document.querySelectorAll('figure.chart')) {
    const c = {id: f.id, svgs: f.querySelectorAll('svg').length};
    const s = f.querySelector('svg');
    if (s) {
      const sb = s.getBoundingClientRect();
      c.role = s.getAttribute('role');
      const t = [...s.children].find(x => x.localName === 'title');
      c.title = t ? t.textContent.trim() : null;
      const marks = [...s.querySelectorAll('.mark')];
      c.marks = marks.length;
      c.drawn = 0;
      c.outside = 0;
      for (const m of marks) {
        const b = m.getBoundingClientRect();
        const st = getComputedStyle(m);
        if ((b.width > 0 || b.height > 0) && st.display !== 'none' && st.visibility !== 'hidden') {
          c.drawn++;
          if (b.right < sb.left || b.left > sb.right || b.bottom < sb.top || b.top > sb.bottom)
            c.outside++;
        }
      }
      c.axes = s.querySelectorAll('.axis').length;
      c.size = [sb.width, sb.height];
    }
    const cap = [...f.children].find(x => x.localName === 'figcaption' && x.namespaceURI === XHTML);
    c.caption = cap ? cap.textContent.trim() : null;
    let table = f.querySelector('table.chart-data');
    const next = f.nextElementSibling;
    if (!table && next && next.matches('table.chart-data')) table = next;
    c.rows = table ? [...table.querySelectorAll('tr')].filter(r => r.querySelector('td')).length : null;
    charts.push(c);
  }
  const found = expectIn.map(([pattern, sel]) => {
    const re = new RegExp('^chart-' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&')
                                             .replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
    return [...document.querySelectorAll('figure.chart')].filter(f => re.test(f.id))
        .map(f => [f.id, f.querySelectorAll(sel).length]);
  });
  // Wider than the viewport: the first few elements that stick out, to name.
  const wide = [...document.querySelectorAll('body *')]
      .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
      .filter(e => !e.parentElement || e.parentElement.getBoundingClientRect().right <= innerWidth + 1)
      .slice(0, 3).map(e => {
        const home = e.closest('figure[id], section[id]');
        return e.localName + (e.className && e.className.baseVal === undefined && e.className
                              ? '.' + e.className.split(' ').join('.') : '') +
               (home ? ' in #' + home.id : '') + ' (' + Math.round(e.getBoundingClientRect().right) + ' px)';
      });
  return {charts, found, wide, width: innerWidth,
          sections: [...document.querySelectorAll('section[id]')].map(s => s.id),
          scripts: document.querySelectorAll('script').length,
          size: [document.documentElement.scrollWidth, document.documentElement.scrollHeight]};
})
"""


def evaluate(chrome, session, expression):
    r = chrome.call("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                    session)
    if "exceptionDetails" in r:
        raise RuntimeError("inspecting the page failed: %s"
                           % r["exceptionDetails"].get("exception", {}).get("description"))
    return r["result"].get("value")


def render(chrome, url, args):
    """Loads url; returns (page facts, console errors, other fetches, png bytes)."""
    version = chrome.call("Browser.getVersion")
    chrome.started = True
    print("render_check: %s" % version.get("product", "Chromium"), file=sys.stderr)
    target = chrome.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    s = chrome.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        chrome.call(domain + ".enable", session=s)
    chrome.call("Emulation.setScriptExecutionDisabled", {"value": True}, s)
    chrome.call("Emulation.setDeviceMetricsOverride",
                {"width": args.width, "height": args.height, "deviceScaleFactor": 1,
                 "mobile": False}, s)
    nav = chrome.call("Page.navigate", {"url": url}, s)
    if nav.get("errorText"):
        raise RuntimeError("Chromium could not load %s: %s" % (url, nav["errorText"]))
    chrome.wait_event("Page.loadEventFired", s)
    facts = evaluate(chrome, s, "%s(%s)" % (INSPECT, json.dumps(args.expect_in)))
    if args.clip:
        box = evaluate(chrome, s, "(() => { const e = document.querySelector(%s); if (!e) return null;"
                       " const b = e.getBoundingClientRect(); return [b.left + scrollX,"
                       " b.top + scrollY, b.width, b.height]; })()" % json.dumps(args.clip))
        if box is None:
            raise RuntimeError("--clip %s: no such element" % args.clip)
    else:
        box = [0, 0, max(facts["size"][0], 1), max(facts["size"][1], 1)]
    png = None
    if args.screenshot:
        shot = chrome.call("Page.captureScreenshot",
                           {"format": "png", "captureBeyondViewport": True,
                            "clip": {"x": box[0], "y": box[1], "width": box[2],
                                     "height": min(box[3], 16000), "scale": args.scale}}, s)
        png = base64.b64decode(shot["data"])
    errors, fetched, warnings = [], [], []
    for e in chrome.events:
        if e.get("sessionId") != s:
            continue
        m, p = e.get("method"), e.get("params", {})
        if m == "Log.entryAdded" and p["entry"]["level"] == "warning":
            warnings.append(p["entry"]["text"])
        if m == "Log.entryAdded" and p["entry"]["level"] == "error":
            entry = p["entry"]
            where = [entry["source"]]
            if entry.get("url") and entry["url"] != url:
                where.append(entry["url"])
            if "lineNumber" in entry:  # counted from 0
                where.append("line %d" % (entry["lineNumber"] + 1))
            errors.append("%s (%s)" % (entry["text"], ", ".join(where)))
        elif m == "Runtime.exceptionThrown":
            errors.append(p["exceptionDetails"].get("text", "an exception"))
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            errors.append(" ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
        elif m == "Network.requestWillBeSent":
            u = p["request"]["url"]
            if u != url and not u.startswith(("data:", "about:")):
                fetched.append(u)
    facts["warnings"] = warnings
    return facts, errors, fetched, png


def chart_problems(facts, args):
    out = []
    ids = [c["id"] for c in facts["charts"]]
    for c in facts["charts"]:
        name = c["id"] or "a chart without an id"
        if not re.match(r"^chart-[a-z0-9]+(-[a-z0-9]+)*$", c["id"] or ""):
            out.append("%s: the id is not chart-NAME (lowercase, hyphens)" % name)
        if ids.count(c["id"]) > 1 and c is facts["charts"][ids.index(c["id"])]:
            out.append("%s: %d charts have this id" % (name, ids.count(c["id"])))
        if c["svgs"] != 1:
            out.append("%s: %d <svg> elements (exactly one expected)" % (name, c["svgs"]))
        if c["svgs"] >= 1:
            if c["role"] != "img":
                out.append("%s: the <svg> has no role=\"img\"" % name)
            if not c["title"]:
                out.append("%s: the <svg> has no <title> (or an empty one)" % name)
            if c["axes"] == 0:
                out.append("%s: no .axis" % name)
            if c["size"][0] <= 0 or c["size"][1] <= 0:
                out.append("%s: the <svg> is drawn %gx%g" % (name, c["size"][0], c["size"][1]))
            if c["marks"] == 0:
                out.append("%s: no data marks (.mark)" % name)
            elif c["drawn"] == 0:
                out.append("%s: %d .mark elements, none drawn (all empty or hidden)"
                           % (name, c["marks"]))
            if c["outside"]:
                out.append("%s: %d of %d drawn marks lie outside the chart"
                           % (name, c["outside"], c["drawn"]))
        if not c["caption"]:
            out.append("%s: no <figcaption> in the figure (or an empty one)" % name)
        if c["rows"] is None:
            out.append("%s: no table.chart-data" % name)
        elif c["rows"] == 0:
            out.append("%s: the chart-data table has no data rows" % name)
    for want in args.expect_charts:
        matches = [i for i in ids if fnmatch.fnmatchcase(i, "chart-" + want)]
        if not matches:
            out.append("chart-%s: missing (the page has %s)" % (want, ", ".join(ids) or "no charts"))
    for (pattern, sel), found in zip(args.expect_in, facts["found"]):
        if not found:
            out.append("chart-%s: missing, so no %s in it" % (pattern, sel))
        for chart, n in found:
            if n == 0:
                out.append("%s: no %s" % (chart, sel))
    for sec in args.expect_sections:
        if sec not in facts["sections"]:
            out.append("section#%s: missing" % sec)
    if facts["scripts"]:
        out.append("the DOM holds %d <script> element(s)" % facts["scripts"])
    return out


def find_chromium(given):
    if given:
        return given
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def names(text):
    return [n[len("chart-"):] if n.startswith("chart-") else n
            for n in (x.strip() for x in text.split(",")) if n]


def selector_pair(text):
    chart, sep, sel = text.partition("=")
    if not sep or not chart or not sel:
        raise argparse.ArgumentTypeError("expected NAME=SELECTOR, got %r" % text)
    return [chart[len("chart-"):] if chart.startswith("chart-") else chart, sel]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("report")
    ap.add_argument("--expect-charts", type=names, required=True,
                    help="chart NAMEs (globs allowed) that must be on the page")
    ap.add_argument("--expect-in", type=selector_pair, action="append", default=[],
                    help="NAME=SELECTOR: each chart NAME (a glob) holds SELECTOR")
    ap.add_argument("--expect-sections", type=names, default=["scenario", "manifest",
                                                              "estimated-costs"])
    ap.add_argument("--screenshot", help="PNG to write (the directory is made)")
    ap.add_argument("--clip", help="CSS selector: screenshot this element only")
    ap.add_argument("--width", type=int, default=1200, help="viewport width, CSS px")
    ap.add_argument("--height", type=int, default=900, help="viewport height, CSS px")
    ap.add_argument("--scale", type=float, default=1.0, help="screenshot pixels per CSS px")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds for the whole render")
    ap.add_argument("--chromium", help="browser binary (default: $CHROMIUM, then chromium on PATH)")
    ap.add_argument("--profile-parent", help="where the throwaway profile goes (default: $TMPDIR)")
    args = ap.parse_args()
    # Stopped from outside (CTest's timeout, a kill): unwind, so that the
    # finally clauses kill Chromium's process group and drop the profile.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    try:
        with open(args.report, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        print("render_check: cannot read %s: %s" % (args.report, e), file=sys.stderr)
        return 2
    problems = source_problems(text)

    binary = find_chromium(args.chromium)
    if binary is None:
        print("render_check: SKIP: no Chromium (%s) on PATH; scripts/setup.sh installs chromium"
              % ", ".join(CHROMIUM_NAMES), file=sys.stderr)
        return SKIP
    if args.profile_parent:
        os.makedirs(args.profile_parent, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="render_check-", dir=args.profile_parent)
    url = "file://" + os.path.abspath(args.report)
    try:
        chrome = Chromium(binary, os.path.join(profile, "profile"), args.timeout,
                          os.path.join(profile, "chromium.log"))
        try:
            facts, errors, fetched, png = render(chrome, url, args)
        except NotStarted as e:
            print("render_check: SKIP: %s\n%s" % (e, chrome.log_tail()), file=sys.stderr)
            return SKIP
        except (Hung, RuntimeError) as e:
            print("render_check: FAIL: %s\n%s" % (e, chrome.log_tail()), file=sys.stderr)
            return 1
        finally:
            chrome.close()
    except NotStarted as e:
        print("render_check: SKIP: %s" % e, file=sys.stderr)
        return SKIP
    finally:
        shutil.rmtree(profile, ignore_errors=True)

    problems += ["console error: " + e for e in errors]
    problems += ["Chromium fetched %s (the page must be self-contained)" % u for u in fetched]
    problems += chart_problems(facts, args)
    if args.screenshot:
        bad = png_problem(png)
        if bad:
            problems.append("screenshot: %s" % bad)
        os.makedirs(os.path.dirname(os.path.abspath(args.screenshot)), exist_ok=True)
        tmp = args.screenshot + ".tmp"
        with open(tmp, "wb") as f:
            f.write(png)
        os.replace(tmp, args.screenshot)
    # Worth a look, not against the contract: the page still reads.
    for w in facts["warnings"]:
        print("render_check: note: console warning: %s" % w, file=sys.stderr)
    if facts["wide"]:
        print("render_check: note: wider than the %d px viewport: %s"
              % (facts["width"], ", ".join(facts["wide"])), file=sys.stderr)
    for p in problems:
        print("render_check: FAIL: %s" % p, file=sys.stderr)
    if problems:
        return 1
    print("render_check: %s: %d charts (%s), all with data marks; no console errors%s"
          % (args.report, len(facts["charts"]), ", ".join(c["id"] for c in facts["charts"]),
             "; screenshot " + args.screenshot if args.screenshot else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
