#!/usr/bin/python3
"""Renders an HTML report in headless Chromium over the DevTools protocol and checks it.

Checks: no script error, console error or failed request while loading; every chart of the report
in the DOM with a non-empty rendered box; every ``data-metric`` figure equal to the summary JSON's
value (``data-value`` exactly, ``as_of`` by text); with a validation JSON (``rapport validate
--out``), the validation section's charts and every ``data-validation`` figure equal to its value.
Takes a full-page screenshot.

Usage: browser_check.py CHROMIUM REPORT.html SUMMARY.json SCREENSHOT.png [VALIDATION.json]
Exit status 0 when every check passes; the problems are printed otherwise.
Needs Debian's chromium and python3-websocket.
"""

from __future__ import annotations

import base64
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Any, Dict, List, Tuple

import websocket  # python3-websocket

#: The charts every report has (data-chart ids), in page order.
CHARTS = (
    "loyalty-histogram",
    "loyalty-per-segment",
    "loyalty-components",
    "loyalty-by-value-decile",
    "critical-wheel",
    "p-alive-histogram",
    "expected-value-histogram",
    "upserve-top",
    "next-actions",
    "chain-depth",
    "referral-trees",
    "ask-now",
)

#: The charts of the validation section (a report with a holdout), data-chart ids.
VALIDATION_CHARTS = (
    "holdout",
    "tracking-cumulative",
    "tracking-weekly",
    "by-frequency",
    "p-alive-calibration",
)

_COLLECT = """(() => ({
  charts: Array.from(document.querySelectorAll('[data-chart]')).map(e => {
    const b = e.getBoundingClientRect();
    return [e.getAttribute('data-chart'), b.width, b.height];
  }),
  counted: document.documentElement.getAttribute('data-charts'),
  metrics: Array.from(document.querySelectorAll('[data-metric]')).map(
    e => [e.getAttribute('data-metric'), e.getAttribute('data-value'), e.textContent]),
  validation: Array.from(document.querySelectorAll('[data-validation]')).map(
    e => [e.getAttribute('data-validation'), e.getAttribute('data-value')]),
  height: document.documentElement.scrollHeight,
}))()"""


class DevTools:
    """One headless Chromium with one page, driven over the DevTools protocol."""

    def __init__(self, chromium: str, timeout: float = 60) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="rapport-chromium-")
        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--remote-debugging-port=0", "--remote-allow-origins=*",
             f"--user-data-dir={self.profile}", "--window-size=1200,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port = self._port()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout) as r:
            targets = json.load(r)
        url = next(t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page")
        self.ws = websocket.create_connection(url, timeout=timeout, suppress_origin=True)
        self.next_id = 0
        self.events: List[Dict[str, Any]] = []

    def _port(self) -> int:
        path = pathlib.Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if path.exists() and path.read_text().strip():
                return int(path.read_text().split()[0])
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with status {self.proc.returncode}")
            time.sleep(0.1)
        raise TimeoutError("chromium did not open its DevTools port")

    def call(self, method: str, **params: Any) -> Dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str) -> None:
        if any(e.get("method") == method for e in self.events):
            return
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            self.events.append(msg)
            if msg.get("method") == method:
                return
        raise TimeoutError(f"no {method}")

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            shutil.rmtree(self.profile, ignore_errors=True)


def _errors(events: List[Dict[str, Any]]) -> List[str]:
    """Script exceptions, console errors and failed loads among the DevTools events."""
    out = []
    for e in events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            out.append("Uncaught " + d.get("exception", {}).get("description", d.get("text", "")))
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append("console." + p["type"] + ": " + " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"]))
        elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
            out.append("log: " + p["entry"].get("text", ""))
        elif m == "Network.loadingFailed":
            out.append("failed load: " + p.get("errorText", ""))
    return out


def render(chromium: str, html: str, screenshot: str, width: int = 1200) -> Tuple[Dict[str, Any], List[str]]:
    """Loads `html`, returns (what the page holds after its script ran, errors), saves a screenshot."""
    dt = DevTools(chromium)
    try:
        for domain in ("Page", "Runtime", "Log", "Network"):
            dt.call(f"{domain}.enable")
        dt.call("Page.navigate", url=pathlib.Path(html).resolve().as_uri())
        dt.wait_for("Page.loadEventFired")
        page = dt.call("Runtime.evaluate", expression=_COLLECT, returnByValue=True)["result"]["value"]
        height = min(int(page["height"]), 16000)
        dt.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        shot = dt.call("Page.captureScreenshot", format="png")
        pathlib.Path(screenshot).write_bytes(base64.b64decode(shot["data"]))
        return page, _errors(dt.events)
    finally:
        dt.close()


def resolve(summary: Any, pointer: str) -> Any:
    """The value at a JSON pointer (RFC 6901)."""
    node = summary
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def compare(page: Dict[str, Any], summary: Dict[str, Any]) -> List[str]:
    """Problems: missing or empty charts, figures that differ from the summary's."""
    problems = []
    boxes = {c[0]: c for c in page["charts"]}
    for chart in CHARTS:
        if chart not in boxes:
            problems.append(f"chart {chart} missing from the DOM")
        elif not (boxes[chart][1] > 0 and boxes[chart][2] > 0):
            problems.append(f"chart {chart} has an empty box {boxes[chart][1:]}")
    if page["counted"] != str(len(page["charts"])):
        problems.append(f"the page's script did not run to its end (data-charts={page['counted']!r})")
    if len(page["metrics"]) < 40:
        problems.append(f"only {len(page['metrics'])} data-metric figures")
    for pointer, value, text in page["metrics"]:
        try:
            expected = resolve(summary, pointer)
        except (KeyError, IndexError, ValueError, TypeError):
            problems.append(f"{pointer}: not in the summary")
            continue
        if value is None:  # a text figure
            if text != str(expected):
                problems.append(f"{pointer}: page shows {text!r}, summary has {expected!r}")
        elif value == "":
            if expected is not None:
                problems.append(f"{pointer}: page shows no value, summary has {expected!r}")
        elif expected is None or float(value) != float(expected):
            problems.append(f"{pointer}: page has {value}, summary has {expected!r}")
    return problems


def compare_validation(page: Dict[str, Any], validation: Dict[str, Any]) -> List[str]:
    """Problems of the validation section: missing or empty charts, figures that differ from the
    validation JSON's (a ``data-value`` of "" stands for the JSON's null)."""
    problems = []
    boxes = {c[0]: c for c in page["charts"]}
    for chart in VALIDATION_CHARTS:
        if chart not in boxes:
            problems.append(f"chart {chart} missing from the DOM")
        elif not (boxes[chart][1] > 0 and boxes[chart][2] > 0):
            problems.append(f"chart {chart} has an empty box {boxes[chart][1:]}")
    weeks = len(validation.get("tracking", []))
    if len(page["validation"]) < 2 * weeks + 20:  # the tracking points and the tables, at the least
        problems.append(f"only {len(page['validation'])} data-validation figures")
    for pointer, value in page["validation"]:
        try:
            expected = resolve(validation, pointer)
        except (KeyError, IndexError, ValueError, TypeError):
            problems.append(f"{pointer}: not in the validation")
            continue
        if value == "":
            if expected is not None:
                problems.append(f"{pointer}: page shows no value, validation has {expected!r}")
        elif expected is None or float(value) != float(expected):
            problems.append(f"{pointer}: page has {value}, validation has {expected!r}")
    return problems


def main(argv: List[str]) -> int:
    if len(argv) not in (5, 6):
        print(__doc__, file=sys.stderr)
        return 2
    chromium, html, summary_path, screenshot = argv[1:5]
    summary = json.loads(pathlib.Path(summary_path).read_text())
    page, errors = render(chromium, html, screenshot)
    problems = errors + compare(page, summary)
    if len(argv) == 6:
        problems += compare_validation(page, json.loads(pathlib.Path(argv[5]).read_text()))
    for p in problems:
        print(p)
    figures = len(page["metrics"]) + len(page["validation"])
    print(f"{len(page['charts'])} charts, {figures} figures checked; screenshot {os.path.abspath(screenshot)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
