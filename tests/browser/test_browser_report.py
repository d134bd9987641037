"""The sample report in a real browser (headless Chromium): no script error, every chart in the
DOM, a screenshot, and the figures on the page equal to the summary's.

Environment: RAPPORT_CLI (the rapport executable), RAPPORT_CHROMIUM (default: chromium on PATH),
RAPPORT_BROWSER_OUT (where the report, summary and screenshot stay; default: a temporary folder).
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
websocket = pytest.importorskip("websocket", reason="needs python3-websocket")
import browser_check  # noqa: E402

CHROMIUM = os.environ.get("RAPPORT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
CLI = os.environ.get("RAPPORT_CLI")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM, reason="needs chromium"),
    pytest.mark.skipif(not CLI, reason="needs RAPPORT_CLI"),
]


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> pathlib.Path:
    where = os.environ.get("RAPPORT_BROWSER_OUT")
    if where:
        path = pathlib.Path(where)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="module")
def sample(out: pathlib.Path):
    """The sample's report (via `rapport score --report`) and its summary."""
    html, summary = out / "report.html", out / "summary.json"
    subprocess.run([CLI, "score", "--quiet", "--summary", str(summary), "--report", str(html)], check=True)
    return html, json.loads(summary.read_text())


def test_sample_report_renders_and_matches_the_summary(sample, out: pathlib.Path) -> None:
    html, summary = sample
    shot = out / "report.png"
    page, errors = browser_check.render(CHROMIUM, str(html), str(shot))
    assert errors == []
    assert browser_check.compare(page, summary) == []
    charts = [c[0] for c in page["charts"]]
    for chart in browser_check.CHARTS:
        assert chart in charts
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000
    print(f"screenshot: {shot}")


def test_report_command_writes_the_same_page(sample, out: pathlib.Path) -> None:
    html, _ = sample
    again = out / "report-command.html"
    done = subprocess.run([CLI, "report", "--out", str(again)], check=True, capture_output=True, text=True)
    assert str(again) in done.stderr and done.stdout == ""  # the status line on stderr (issue 21 item 4)
    assert again.read_bytes() == html.read_bytes()


def test_the_checks_can_fail(tmp_path: pathlib.Path) -> None:
    # a page with a script error, a missing chart and a figure that disagrees with the summary
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><body><span data-metric="/customers_scored" data-value="999">999</span>'
        '<svg data-chart="loyalty-histogram" width="10" height="10"></svg>'
        "<script>no_such_function();</script></body></html>"
    )
    page, errors = browser_check.render(CHROMIUM, str(bad), str(tmp_path / "bad.png"))
    assert any("no_such_function" in e for e in errors)
    problems = browser_check.compare(page, {"customers_scored": 1000})
    assert "/customers_scored: page has 999, summary has 1000" in problems
    assert "chart critical-wheel missing from the DOM" in problems
