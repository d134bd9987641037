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
