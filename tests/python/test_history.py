"""rapport history / rapport.history: one long table whose slices equal separate runs."""
import subprocess

import pandas as pd
import pandas.testing as pdt
import pytest

import rapport

from conftest import fresh

DATES = ["2025-06-30", "2025-12-31", "2026-06-30"]


def test_cli_history_slices_equal_score_runs(cli, base_dir, tmp_path):
    out = tmp_path / "history.csv"
    subprocess.run([cli, "history", str(base_dir), "--as-of", ",".join(DATES), "--out", str(out), "--quiet"],
                   check=True, capture_output=True)
    header, body = out.read_bytes().split(b"\n", 1)
    lines = body.split(b"\n")
    seen = 0
    for d in DATES:
        run = tmp_path / f"score-{d}.csv"
        subprocess.run([cli, "score", str(base_dir), "--as-of", d, "--out", str(run), "--quiet"], check=True,
                       capture_output=True)
        run_header, run_body = run.read_bytes().split(b"\n", 1)
        assert header == b"as_of," + run_header
        prefix = d.encode() + b","
        # generated ids hold no newline, so one CSV row is one line
        part = b"".join(line[len(prefix):] + b"\n" for line in lines if line.startswith(prefix))
        assert part == run_body
        assert len(run_body) > 0
        seen += run_body.count(b"\n")
    assert seen == len(lines) - 1  # every row belongs to one of the dates (the last line is empty)


def test_cli_history_rejects_a_bad_date(cli, base_dir, tmp_path):
    r = subprocess.run([cli, "history", str(base_dir), "--as-of", "2026-06-30,2026-02-30", "--out",
                        str(tmp_path / "h.csv")], capture_output=True, text=True)
    assert r.returncode != 0
    assert "--as-of" in r.stderr
    assert not (tmp_path / "h.csv").exists()


def test_python_history_equals_score_per_date(tables_str):
    frames = fresh(tables_str)
    h = rapport.history(**frames, as_of=DATES)
    assert list(h.columns) == ["as_of"] + list(rapport.SCORE_COLUMNS)
    parts = []
    for d in DATES:
        expected = rapport.score(**frames, as_of=d)
        got = h[h["as_of"] == pd.Timestamp(d).date()].drop(columns="as_of").reset_index(drop=True)
        got.attrs = expected.attrs
        pdt.assert_frame_equal(got, expected, check_exact=True)
        parts.append(len(expected))
    assert len(h) == sum(parts)
    with pytest.raises(rapport.InputError):
        rapport.history(**frames, as_of=[])


def test_trend_is_change_since_each_earlier_date():
    # two customers, three dates (hand-made history):
    #   a: 40 (2026-01-31), 50 (2026-02-28), 65 (2026-03-31)  -> changes 25, 15
    #   b: not scored (2026-01-31), 70, 60                     -> changes NaN, -10
    d1, d2, d3 = (pd.Timestamp(x).date() for x in ("2026-01-31", "2026-02-28", "2026-03-31"))
    h = pd.DataFrame({"as_of": [d1, d2, d2, d3, d3], "customer_id": ["a", "a", "b", "a", "b"],
                      "loyalty_given": [40.0, 50.0, 70.0, 65.0, 60.0]})
    t = rapport.trend(h)
    assert list(t.index) == ["a", "b"]
    assert list(t.columns) == ["loyalty_given", "change_since_2026-01-31", "change_since_2026-02-28"]
    assert t.loc["a"].tolist() == [65.0, 25.0, 15.0]
    assert t.loc["b", "loyalty_given"] == 60.0
    assert pd.isna(t.loc["b", "change_since_2026-01-31"])
    assert t.loc["b", "change_since_2026-02-28"] == -10.0
    with pytest.raises(ValueError):
        rapport.trend(h, "nope")
