"""Issue 21 (hardening, round two), the CLI and Python API items: each test is named after its
item and failed before the fix (see the docstrings)."""

import os
import pathlib
import shutil
import stat
import subprocess

import pytest

import rapport

from conftest import data_dir


def run(cli, *args, cwd=None, timeout=120, binary=False):
    return subprocess.run([cli, *map(str, args)], capture_output=True, text=not binary, cwd=cwd, timeout=timeout)


@pytest.fixture()
def base(base_dir, tmp_path):
    """A private copy of the generated 500-customer base."""
    d = tmp_path / "base"
    shutil.copytree(base_dir, d)
    return d


def with_rejects(base):
    """The base with two bad rows appended (so that reject lines are printed)."""
    with open(base / "purchases.csv", "a") as f:
        f.write("nobody,2024-01-01,5\n")
        f.write("c000001,2024-13-01,5\n")
    return base


# --- item 4: standard output carries data only ------------------------------------------------------

def test_item4_score_dash_carries_only_the_scores(cli, base, tmp_path):
    """Before: `--report F` printed "report: F (... bytes)" onto the scores on standard output."""
    with_rejects(base)
    expected = tmp_path / "scores.csv"
    assert run(cli, "score", base, "--out", expected, "--quiet").returncode == 0
    p = run(cli, "score", base, "--out", "-", "--report", tmp_path / "r.html", "--summary", tmp_path / "s.json",
            "--explain", tmp_path / "e.jsonl", binary=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout == expected.read_bytes()
    err = p.stderr.decode()
    assert "report: " in err and "loaded in" in err and "rejected" in err


def test_item4_score_summary_dash_carries_only_the_summary(cli, base, tmp_path):
    expected = tmp_path / "s.json"
    assert run(cli, "score", base, "--summary", expected, "--out", tmp_path / "a.csv", "--quiet").returncode == 0
    p = run(cli, "score", base, "--summary", "-", "--out", tmp_path / "b.csv", "--report", tmp_path / "r.html",
            binary=True)
    assert p.returncode == 0, p.stderr
    # the summary's run-dependent fields aside (none are written to the summary), the bytes agree
    assert p.stdout == expected.read_bytes()


def test_item4_report_dash_carries_only_the_page(cli, base, tmp_path):
    """Before: the page on standard output was followed by "report: - (N bytes, ...)"."""
    p = run(cli, "report", base, "--out", "-", binary=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(b"<!DOCTYPE html>")
    assert p.stdout.rstrip().endswith(b"</html>")
    assert b"report: " not in p.stdout[-200:]
    assert "report: - (" in p.stderr.decode()
    q = run(cli, "report", base, "--out", tmp_path / "r.html", binary=True)
    assert q.returncode == 0 and q.stdout == b""  # the status line goes to stderr with a file too


def test_item4_history_dash_carries_only_the_table(cli, base, tmp_path):
    with_rejects(base)
    expected = tmp_path / "h.csv"
    dates = "2025-06-30,2026-06-30"
    assert run(cli, "history", base, "--as-of", dates, "--out", expected, "--quiet").returncode == 0
    p = run(cli, "history", base, "--as-of", dates, "--out", "-", binary=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout == expected.read_bytes()
    assert b"loaded in" in p.stderr and b"rejected" in p.stderr


def test_item4_graph_dash_carries_only_the_values(cli, base, tmp_path):
    with open(base / "referrals.csv", "a") as f:
        f.write("x,x,2024-01-01\n")  # a self-referral: a reject line
    expected = tmp_path / "g.csv"
    for algorithm in ("pagerank", "katz"):
        assert run(cli, "graph", algorithm, base / "referrals.csv", "--out", expected).returncode == 0
        p = run(cli, "graph", algorithm, base / "referrals.csv", "--out", "-", binary=True)
        assert p.returncode == 0, p.stderr
        assert p.stdout == expected.read_bytes()
        assert b"nodes" in p.stderr and b"self-referral" in p.stderr


# --- item 10: smaller ones ------------------------------------------------------------------------------

def test_item10_scorer_explain_of_an_unknown_row_raises_index_error(tables_str):
    """Before: a negative row raised TypeError (pybind11's size_t conversion), 1.5 explained row 1
    and True explained row 1."""
    scorer = rapport.Scorer(**tables_str)
    n = len(scorer.scores())
    assert scorer.explain(0)["customer_id"] == scorer.scores()["customer_id"].iloc[0]
    for row in (-1, -n, n, n + 1, 2 ** 63, 2 ** 64 + 3):
        with pytest.raises(IndexError):
            scorer.explain(row)
    with pytest.raises(IndexError):
        scorer.explain("no such customer")
    for bad in (1.5, True, None):
        with pytest.raises(TypeError):
            scorer.explain(bad)
    import numpy as np
    assert scorer.explain(np.int64(1)) == scorer.explain(1)


def test_item10_dask_rejects_a_non_positive_or_fractional_npartitions(tables_str):
    """Before: 0 fell back to the default, -2 and 2.5 reached dask (2.5 as 2)."""
    pytest.importorskip("dask.dataframe")
    import dask.dataframe as dd
    import rapport.dask as rdask
    frames = {t: dd.from_pandas(f, npartitions=2) for t, f in tables_str.items()}
    for bad in (0, -2, 2.5, float("nan"), float("inf"), -0.0):
        with pytest.raises(ValueError, match="npartitions"):
            rdask.score_run(**frames, npartitions=bad)
    for bad in ("3", True, [2]):
        with pytest.raises(TypeError, match="npartitions"):
            rdask.score_run(**frames, npartitions=bad)
