#!/usr/bin/env python3
"""Hold the picture of 'rmemu compare -o' against the JSON of the same run.

Every bar of failures (trace, policy, cause) must carry the count that
'rmemu compare --json' gives, the bars of a policy must add up to its
failures, every cause the JSON names must have its bar, and every line of
RAM after each munmap must have the JSON series' length, maximum and last
value. The page (.html) must hold the same SVG; with --chromium it is also
loaded in headless Chromium (tests/show_browser.py's driver): no console
error, no network request, the marks in the DOM, a hover that shows a
bar's figures. Prints how many figures it compared; none is a failure.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("json")
    ap.add_argument("svg")
    ap.add_argument("html")
    ap.add_argument("--chromium")
    args = ap.parse_args()
    with open(args.json) as f:
        figures = json.load(f)
    root = ET.parse(args.svg).getroot()
    failures = []
    compared = 0

    def check(ok, what):
        nonlocal compared
        compared += 1
        if not ok:
            failures.append(what)
            print("FAIL " + what)

    bars = {}
    for r in root.iter(SVG + "rect"):
        if r.get("class") != "fail":
            continue
        key = (r.get("data-trace"), r.get("data-policy"), r.get("data-cause"))
        check(key not in bars, "one bar for %s" % (key,))
        bars[key] = int(r.get("data-count"))
    lines = {}
    for p in root.iter(SVG + "polyline"):
        if p.get("class") == "ram":
            lines[(p.get("data-trace"), p.get("data-policy"))] = p
    counts = {}
    for g in root.iter(SVG + "g"):
        if g.get("class") != "trace":
            continue
        rows = [t for t in g.iter(SVG + "text") if t.get("class") == "count"]
        counts[g.get("data-trace")] = [("".join(t.itertext())) for t in rows]

    for trace, per_policy in figures.items():
        check(trace in counts, "%s has its section" % trace)
        for i, (policy, f) in enumerate(per_policy.items()):
            causes = dict(f["failed_by_cause"])
            rest = f["failed"] - sum(causes.values())
            if rest:
                causes["-"] = rest
            drawn = {c: n for (t, p, c), n in bars.items() if t == trace and p == policy}
            for cause, n in causes.items():
                check(drawn.get(cause) == n, "%s, %s: %d failures with cause %s, drawn %s"
                      % (trace, policy, n, cause, drawn.get(cause)))
            for cause in drawn:
                check(cause in causes, "%s, %s: a bar for cause %s that the JSON has not"
                      % (trace, policy, cause))
            check(sum(drawn.values()) == f["failed"], "%s, %s: the bars add up to %d failures"
                  % (trace, policy, f["failed"]))
            if trace in counts and i < len(counts[trace]):
                check(counts[trace][i] == "%d of %d failed" % (f["failed"], f["ops"]),
                      "%s, %s: the count reads %r" % (trace, policy, counts[trace][i]))
            series = f.get("ram_after_munmap")
            line = lines.get((trace, policy))
            if series:
                check(line is not None, "%s, %s: a line for %d munmaps" % (trace, policy, len(series)))
                if line is not None:
                    check(int(line.get("data-munmaps")) == len(series) and
                          int(line.get("data-max")) == max(series) and
                          int(line.get("data-last")) == series[-1],
                          "%s, %s: the line's munmaps, maximum and last value" % (trace, policy))
            else:
                check(line is None, "%s, %s: no line without munmaps" % (trace, policy))
    expected_lines = sum(1 for t in figures.values() for f in t.values() if f.get("ram_after_munmap"))
    check(len(lines) == expected_lines, "%d lines drawn for %d series" % (len(lines), expected_lines))

    with open(args.html) as f:
        page = f.read()
    with open(args.svg) as f:
        svg = f.read()
    svg = svg[svg.index("<svg"):]
    check(svg in page, "the page holds the same SVG")
    check("<script src" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", ""),
          "the page loads nothing from elsewhere")

    if args.chromium:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from show_browser import Browser, NEXT_FRAME
        profile = tempfile.mkdtemp(prefix="rmemu-chromium-")
        b = Browser(args.chromium, profile)
        try:
            targets = b.call("Target.getTargets", session=False, timeout=60)["targetInfos"]
            b.open(targets, args.html, 1200, 900)
            marks = json.loads(b.evaluate("JSON.stringify([document.querySelectorAll('svg rect.fail').length, "
                                          "document.querySelectorAll('svg polyline.ram').length])"))
            check(marks == [len(bars), len(lines)], "the browser shows %s bars and lines, the SVG has %s"
                  % (marks, [len(bars), len(lines)]))
            box = json.loads(b.evaluate("JSON.stringify((r => ({x: r.x + r.width / 2, y: r.y + r.height / 2}))"
                                        "(document.querySelector('svg rect.fail').getBoundingClientRect()))"))
            b.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": box["x"], "y": box["y"]})
            b.evaluate(NEXT_FRAME)
            tip = b.evaluate("(t => t.style.display === 'block' ? t.textContent : '')(document.getElementById('tip'))")
            check("failures with cause" in tip, "hovering a bar tells its figures: %r" % tip)
            errors, requests = b.problems()
            check(not errors, "no console errors or warnings (%d)" % len(errors))
            check(not requests, "no network requests (%d)" % len(requests))
        finally:
            b.close()
            shutil.rmtree(profile, ignore_errors=True)

    print("%d figures compared, %d differ (%d bars, %d lines)" % (compared, len(failures), len(bars), len(lines)))
    if compared == 0 or not bars or not lines:
        print("FAIL: nothing was compared")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
