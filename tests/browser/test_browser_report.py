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


HOLDOUT_FROM = "2025-07-01"  # the sample's last year (purchases 2022-07-01 .. 2026-06-30)


def test_report_with_a_holdout_shows_the_validation_of_validate(sample, out: pathlib.Path) -> None:
    # `rapport report --holdout-from` and `rapport validate` on the run's model (bgnbd) compute
    # the same check: every figure of the page's validation section equals the validation JSON
    _, summary = sample
    html, validation = out / "report-holdout.html", out / "validation.json"
    subprocess.run([CLI, "report", "--holdout-from", HOLDOUT_FROM, "--out", str(html)], check=True,
                   capture_output=True)
    subprocess.run([CLI, "validate", "--quiet", "--holdout-from", HOLDOUT_FROM, "--value-model", "bgnbd",
                    "--out", str(validation)], check=True)
    shot = out / "report-holdout.png"
    page, errors = browser_check.render(CHROMIUM, str(html), str(shot))
    assert errors == []
    assert browser_check.compare(page, summary) == []  # the rest of the page is unchanged
    v = json.loads(validation.read_text())
    assert browser_check.compare_validation(page, v) == []
    pointers = {p for p, _ in page["validation"]}
    weeks = len(v["tracking"])
    assert weeks > 150
    for k in (0, weeks - 1):  # both ends of both tracking curves, cumulative and weekly
        for key in ("actual_cumulative", "expected_cumulative/bgnbd", "actual", "expected/bgnbd"):
            assert f"/tracking/{k}/{key}" in pointers
    for row in range(8):
        assert f"/models/0/by_frequency/{row}/predicted_mean" in pointers
    for decile in range(10):
        assert f"/models/0/p_alive_calibration/{decile}/active_share" in pointers
    assert "/models/0/holdout/predicted" in pointers and "/spend/predicted_mean_spend" in pointers
    print(f"screenshot: {shot}")


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
    # a validation figure that disagrees with the validation JSON, and one it does not hold
    wrong = tmp_path / "wrong.html"
    wrong.write_text(
        '<!DOCTYPE html><html><body><span data-validation="/models/0/holdout/predicted" data-value="12.5">12.5</span>'
        '<span data-validation="/models/9/holdout/mae" data-value="1">1</span></body></html>'
    )
    page, _ = browser_check.render(CHROMIUM, str(wrong), str(tmp_path / "wrong.png"))
    problems = browser_check.compare_validation(page, {"models": [{"holdout": {"predicted": 12.25}}], "tracking": []})
    assert "/models/0/holdout/predicted: page has 12.5, validation has 12.25" in problems
    assert "/models/9/holdout/mae: not in the validation" in problems
    assert "chart tracking-cumulative missing from the DOM" in problems
