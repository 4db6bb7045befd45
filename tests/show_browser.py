#!/usr/bin/env python3
"""show_browser.py: open a page of 'rmemu show' in headless Chromium and use
it as a person would: no console errors, no network, the slider moved with
the keyboard redraws the picture, hovering a region shows its details; then
a screenshot. Chromium is driven over the DevTools protocol on a pipe
(--remote-debugging-pipe), so nothing beyond Python's standard library and
Debian's chromium is needed.

usage: show_browser.py [--chromium PATH] [--screenshot FILE.png]
                       [--expect STEP:REGIONS:PIECES:VMAS:FAULTERS ...] PAGE.html

Each --expect moves the page to STEP and requires exactly those counts of
drawn regions, pieces, VMAs and faulters (what tests/show_count says the
model holds). Prints what it checked and exits 0, 1 on a failed check, or
77 (the automake code for a skipped test) if Chromium cannot start.
"""
import argparse
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
         "--remote-debugging-pipe"]


class Browser:
    """One Chromium with one page, spoken to over the DevTools pipe."""

    def __init__(self, chromium, profile):
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()
        # the protocol wants its pipe on descriptors 3 (in) and 4 (out)
        cmd = ["sh", "-c", 'exec "$@" 3<&%d 4>&%d' % (to_r, from_w), "chromium", chromium,
               "--user-data-dir=" + profile] + FLAGS + ["about:blank"]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, pass_fds=(to_r, from_w), stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log)
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self.from_r], [], [], left)
            if ready:
                chunk = os.read(self.from_r, 1 << 20)
                if not chunk:
                    raise EOFError("Chromium closed the pipe")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=True, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, timeout=30):
        deadline = time.time() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._read_message(deadline))

    def evaluate(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                           "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError("page: %s" % r["exceptionDetails"])
        return r["result"].get("value")

    def open(self, targets, path, width, height):
        """Attach to the first page of targets and load the file path in it, at width x height."""
        page = [t for t in targets if t["type"] == "page"][0]
        self.session = self.call("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True},
                                 session=False)["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            self.call(domain + ".enable")
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                         "deviceScaleFactor": 1, "mobile": False})
        self.call("Page.navigate", {"url": "file://" + os.path.abspath(path)})
        self.wait_event("Page.loadEventFired")
        self.evaluate(NEXT_FRAME)

    def problems(self):
        """The page's console errors and warnings, and its requests that left the machine."""
        errors = []
        requests = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                errors.append(p["exceptionDetails"].get("text", "") + " " +
                              str(p["exceptionDetails"].get("exception", {}).get("description", "")))
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
                errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p["args"]))
            elif m == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                errors.append(p["entry"]["text"])
            elif m == "Network.requestWillBeSent":
                url = p["request"]["url"]
                if not url.startswith(("file:", "data:", "about:")):
                    requests.append(url)
        return errors, requests

    def close(self):
        try:
            self.call("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


NEXT_FRAME = "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(1))))"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("page")
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM") or shutil.which("chromium")
                    or shutil.which("chromium-browser"))
    ap.add_argument("--screenshot")
    ap.add_argument("--expect", action="append", default=[])
    args = ap.parse_args()
    if not args.chromium:
        print("SKIP: no chromium (scripts/setup installs Debian's)")
        return 77
    failures = []
    checks = 0

    def check(ok, what):
        nonlocal checks
        checks += 1
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    profile = tempfile.mkdtemp(prefix="rmemu-chromium-")
    b = Browser(args.chromium, profile)
    try:
        try:
            targets = b.call("Target.getTargets", session=False, timeout=60)["targetInfos"]
        except (TimeoutError, EOFError) as e:
            b.log.seek(0)
            print("SKIP: Chromium did not start (%s): %s" % (e, b.log.read()[-600:].decode(errors="replace")))
            return 77
        b.open(targets, args.page, 1460, 900)

        first = b.evaluate("JSON.stringify({step: rmemuShow.step, line: rmemuShow.line, "
                           "steps: rmemuShow.steps, drawn: rmemuShow.drawn, "
                           "marks: document.querySelectorAll('#pic rect.region, #pic rect.piece, "
                           "#pic path.faulter').length})")
        first = json.loads(first)
        print("loaded: line %d (step %d of %d), drawn %s in %d marks" % (
            first["line"], first["step"], first["steps"] - 1, first["drawn"], first["marks"]))
        check(first["drawn"]["regions"] > 0, "the page draws regions (%d)" % first["drawn"]["regions"])

        # the slider, moved with the keyboard as a person would
        b.evaluate("document.getElementById('slider').focus(), 1")
        for key, code in (("Home", 36),):
            b.call("Input.dispatchKeyEvent", {"type": "keyDown", "key": key, "code": key,
                                              "windowsVirtualKeyCode": code})
            b.call("Input.dispatchKeyEvent", {"type": "keyUp", "key": key, "code": key,
                                              "windowsVirtualKeyCode": code})
        b.evaluate(NEXT_FRAME)
        home = json.loads(b.evaluate("JSON.stringify({step: rmemuShow.step, drawn: rmemuShow.drawn, "
                                     "pic: document.getElementById('pic').innerHTML.length})"))
        check(home["step"] == 0, "Home moves the slider to the start (step %d)" % home["step"])
        check(home["drawn"] != first["drawn"],
              "the drawing changes with the slider (%s -> %s)" % (first["drawn"], home["drawn"]))
        b.call("Input.dispatchKeyEvent", {"type": "keyDown", "key": "End", "code": "End",
                                          "windowsVirtualKeyCode": 35})
        b.call("Input.dispatchKeyEvent", {"type": "keyUp", "key": "End", "code": "End",
                                          "windowsVirtualKeyCode": 35})
        b.evaluate(NEXT_FRAME)
        end = json.loads(b.evaluate("JSON.stringify({step: rmemuShow.step, drawn: rmemuShow.drawn})"))
        check(end["step"] == first["steps"] - 1, "End moves it to the last line (step %d)" % end["step"])

        for e in args.expect:
            step, regions, pieces, vmas, faulters = (int(v) for v in e.split(":"))
            b.evaluate("rmemuShow.setStep(%d), 1" % step)
            b.evaluate(NEXT_FRAME)
            got = json.loads(b.evaluate("JSON.stringify(rmemuShow.drawn)"))
            want = {"regions": regions, "pieces": pieces, "vmas": vmas, "faulters": faulters}
            check(got == want, "step %d: drawn %s, the model has %s" % (step, got, want))

        # back to where the page opened, and a hover over the widest region of the deepest row
        b.evaluate("rmemuShow.setStep(%d), 1" % first["step"])
        b.evaluate(NEXT_FRAME)
        box = json.loads(b.evaluate(
            "JSON.stringify([...document.querySelectorAll('#pic rect.region:not(.agg)')].map(r => "
            "r.getBoundingClientRect()).sort((a, b) => b.y - a.y || b.width - a.width).map(r => "
            "({x: r.x + r.width / 2, y: r.y + r.height / 2}))[0])"))
        b.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": box["x"], "y": box["y"]})
        b.evaluate(NEXT_FRAME)
        tip = b.evaluate("(t => t.style.display === 'block' ? t.textContent : '')(document.getElementById('tip'))")
        check("size" in tip and "rights" in tip and ("made by line" in tip or "from the start" in tip),
              "hovering a region tells its start, size, rights and line: %r" % tip.split("\n")[0:2])

        if args.screenshot:
            b.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": 1, "y": 1})
            height = b.evaluate("Math.ceil(document.getElementById('pic').getBoundingClientRect().bottom) + 12")
            b.call("Emulation.setDeviceMetricsOverride", {"width": 1460, "height": int(height),
                                                          "deviceScaleFactor": 1, "mobile": False})
            b.evaluate(NEXT_FRAME)
            shot = b.call("Page.captureScreenshot", {"format": "png"})["data"]
            import base64
            with open(args.screenshot, "wb") as f:
                f.write(base64.b64decode(shot))
            print("screenshot: %s" % args.screenshot)

        errors, requests = b.problems()
        check(not errors, "no console errors or warnings (%d)" % len(errors))
        for e in errors:
            print("     " + e)
        check(not requests, "no network requests (%d)" % len(requests))
        for r in requests:
            print("     " + r)
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)
    print("%d passed, %d failed" % (checks - len(failures), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
