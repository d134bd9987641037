"""The command line's streamed outputs (issue 23 item 2): on a base of three batches (40,000
customers; score_to hands 16,384 at a time) the console report of a streamed run equals the one
printed from the whole result, and the database write-back of `rapport score` and of
`rapport history` holds exactly the rows of the scores CSV written in the same run."""
import csv
import shutil
import sqlite3
import subprocess

import pytest


@pytest.fixture(scope="module")
def big_dir(cli, tmp_path_factory):
    d = tmp_path_factory.mktemp("stream") / "base"
    subprocess.run([cli, "generate", str(d), "--customers", "40000", "--seed", "5"], check=True,
                   capture_output=True)
    return d


@pytest.fixture(scope="module")
def big_db(cli, big_dir):
    db = big_dir.parent / "base.db"
    run(cli, "import", big_dir, "--db", f"sqlite:{db}")
    return db


def run(cli, *args):
    return subprocess.run([cli, *map(str, args)], check=True, capture_output=True, text=True)


def assert_same_value(v, cell):
    """A value read back from the database equals its CSV cell: every number as the CSV's
    shortest spelling, booleans as true/false, NULL as an empty cell."""
    if v is None:
        assert cell == ""
    elif isinstance(v, str):
        assert v == cell
    else:
        assert v == (cell == "true" if cell in ("true", "false") else float(cell))


def test_streamed_console_report_equals_the_whole_results(cli, big_dir, tmp_path):
    streamed = run(cli, "score", big_dir)  # no --report: streamed
    whole = run(cli, "score", big_dir, "--report", tmp_path / "r.html")  # the report needs the whole result
    assert "scored 40000 customers and wrote the outputs" in streamed.stderr
    assert "scored 40000 customers in" in whole.stderr
    assert streamed.stdout == whole.stdout
    assert streamed.stdout.count("\n  C") == 20  # ten rows in each list


def csv_rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_streamed_write_back_holds_the_scores_csvs_rows(cli, big_db, tmp_path):
    db = shutil.copy(big_db, tmp_path / "crm.db")
    out = run(cli, "score", "--db", f"sqlite:{db}", "--out-table", "scores", "--history-table", "history",
              "--out", tmp_path / "s.csv", "--quiet")
    assert "wrote 40000 scores to" in out.stderr
    rows = csv_rows(tmp_path / "s.csv")
    header, body = rows[0], rows[1:]
    con = sqlite3.connect(db)
    table = con.execute("SELECT * FROM scores ORDER BY rowid").fetchall()
    assert [c[0] for c in con.execute("SELECT * FROM scores LIMIT 0").description] == header
    assert len(table) == len(body) == 40000
    for t, c in zip(table, body):
        assert t[0] == c[0]  # customer order
        for v, cell in zip(t[1:], c[1:]):
            assert_same_value(v, cell)
    (as_of, n), = con.execute("SELECT as_of, count(*) FROM history GROUP BY as_of").fetchall()
    assert n == 40000
    assert con.execute("SELECT count(*) FROM rapport_runs").fetchone()[0] == 1


def test_streamed_history_table_holds_every_dates_rows(cli, big_db, tmp_path):
    db = shutil.copy(big_db, tmp_path / "crm.db")
    dates = ["2025-06-30", "2026-06-30"]
    run(cli, "history", "--db", f"sqlite:{db}", "--as-of", ",".join(dates), "--history-table", "history",
        "--out", tmp_path / "h.csv", "--quiet")
    rows = csv_rows(tmp_path / "h.csv")
    header, body = rows[0], rows[1:]
    con = sqlite3.connect(db)
    cols = [c[0] for c in con.execute("SELECT * FROM history LIMIT 0").description]
    table = con.execute("SELECT * FROM history ORDER BY rowid").fetchall()
    assert len(table) == len(body)
    pick = [header.index(c) for c in cols]
    for t, c in zip(table, body):
        for v, k in zip(t, pick):
            assert_same_value(v, c[k])
    assert [r[0] for r in con.execute("SELECT as_of FROM rapport_runs ORDER BY rowid")] == dates
