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
