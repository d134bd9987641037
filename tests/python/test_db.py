"""rapport.load_db / rapport.score_db: a base read from SQLite (written here with Python's own
sqlite3 module, all TEXT) scores exactly as the same CSV files, with the same rejects."""

import csv
import sqlite3

import pandas as pd
import pytest

import rapport

TABLES = ("customers", "contacts", "purchases", "referrals")
pytestmark = pytest.mark.filterwarnings("ignore::rapport.RejectedRowsWarning")


def csv_to_sqlite(folder, db_path, names=None):
    names = names or {}
    con = sqlite3.connect(db_path)
    for table in TABLES:
        with open(folder / f"{table}.csv", newline="") as f:
            rows = list(csv.reader(f))
        header, body = rows[0], rows[1:]
        name = names.get(table, table)
        con.execute(f"CREATE TABLE {name} ({', '.join(c + ' TEXT' for c in header)})")
        con.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(header))})",
                        [[v if v != "" else None for v in r] for r in body])
    con.commit()
    con.close()


@pytest.fixture()
def bad_base(base_dir, tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    for table in TABLES:
        (folder / f"{table}.csv").write_bytes((base_dir / f"{table}.csv").read_bytes())
    with open(folder / "purchases.csv", "a") as f:
        f.write("C00000001,2025-01-01,-5\nNOPE,2025-01-01,10\nC00000001,2025-01-01T25:00:00,1\n")
    return folder


def test_score_db_equals_score_dir(bad_base, tmp_path):
    db = tmp_path / "crm.db"
    csv_to_sqlite(bad_base, db)
    from_db = rapport.score_db(f"sqlite:{db}")
    from_csv = rapport.score_dir(bad_base)
    pd.testing.assert_frame_equal(from_db, from_csv)
    base_db, base_csv = rapport.load_db(f"sqlite:{db}"), rapport.load_dir(bad_base)
    assert base_db.rejected == base_csv.rejected == 3
    reasons = lambda b: [(r["table"], r["column"], r["reason"]) for r in b.rejects]  # noqa: E731
    assert reasons(base_db) == reasons(base_csv)
    assert [r["file"] for r in base_db.rejects] == ["purchases"] * 3


def test_table_mapping_and_invalid_names(bad_base, tmp_path):
    db = tmp_path / "mapped.db"
    csv_to_sqlite(bad_base, db, {"customers": "clients"})
    base = rapport.load_db(f"sqlite:{db}", tables={"customers": "main.clients"})
    assert len(base) == len(rapport.load_dir(bad_base))
    with pytest.raises(rapport.ConfigError, match="not a plain table name"):
        rapport.load_db(f"sqlite:{db}", tables={"customers": "clients; DROP TABLE x"})
    with pytest.raises(rapport.InputError, match="customers table not found"):
        rapport.load_db(f"sqlite:{db}")
    with pytest.raises(rapport.DataError):
        rapport.load_db(f"sqlite:{db}", tables={"customers": "clients"}, strict=True)


# --- the command line: import, score and report from a database, write-back, output checks -------

def run(cli, *args):
    import subprocess
    return subprocess.run([cli, *map(str, args)], capture_output=True, text=True, timeout=300)


def test_cli_import_then_score_and_report_from_sqlite(cli, bad_base, tmp_path):
    db = tmp_path / "crm.db"
    p = run(cli, "import", bad_base, "--db", f"sqlite:{db}")
    assert p.returncode == 0, p.stderr
    assert "(3 rows rejected)" in p.stdout and "purchases 3" in p.stderr
    p = run(cli, "score", "--db", f"sqlite:{db}", "--out", tmp_path / "db.csv", "--quiet")
    assert p.returncode == 0, p.stderr
    p = run(cli, "score", bad_base, "--out", tmp_path / "csv.csv", "--quiet")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "db.csv").read_bytes() == (tmp_path / "csv.csv").read_bytes()
    p = run(cli, "report", "--db", f"sqlite:{db}", "--out", tmp_path / "r.html")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")


def test_cli_write_back_counts_rows(cli, bad_base, tmp_path):
    db = tmp_path / "crm.db"
    csv_to_sqlite(bad_base, db)
    p = run(cli, "score", "--db", f"sqlite:{db}", "--out-table", "scores", "--history-table", "history", "--quiet")
    assert p.returncode == 0, p.stderr
    con = sqlite3.connect(db)
    customers = con.execute("SELECT count(*) FROM customers").fetchone()[0]
    assert con.execute("SELECT count(*) FROM scores").fetchone()[0] == customers
    assert con.execute("SELECT rows_rejected FROM rapport_runs").fetchall() == [(3,)]
    con.close()


@pytest.mark.parametrize("option", ["--out", "--summary", "--rejects", "--report"])
def test_cli_an_output_onto_the_sqlite_database_is_refused(cli, bad_base, tmp_path, option):
    db = tmp_path / "crm.db"
    csv_to_sqlite(bad_base, db)
    before = db.read_bytes()
    p = run(cli, "score", "--db", f"sqlite:{db}", option, db, "--quiet")
    assert p.returncode == 2, p.stderr
    assert "--db" in p.stderr and option in p.stderr and "refusing to overwrite an input" in p.stderr
    assert db.read_bytes() == before


def test_cli_import_onto_an_input_and_mixed_inputs_are_refused(cli, bad_base, tmp_path):
    before = (bad_base / "customers.csv").read_bytes()
    p = run(cli, "import", bad_base, "--db", f"sqlite:{bad_base / 'customers.csv'}")
    assert p.returncode == 2 and "refusing to overwrite an input" in p.stderr, p.stderr
    assert (bad_base / "customers.csv").read_bytes() == before
    p = run(cli, "score", bad_base, "--db", f"sqlite:{tmp_path / 'x.db'}", "--quiet")
    assert p.returncode == 2 and "--db reads every table from the database" in p.stderr, p.stderr
    p = run(cli, "score", bad_base, "--out-table", "scores", "--quiet")
    assert p.returncode == 2 and "need --db" in p.stderr, p.stderr


# --- rapport history --db: one load from the database, every date's slice stored -------------------

DATES = "2025-06-30,2024-12-31,2026-03-31"


def history_slices(path):
    """The long history CSV as {as_of: [row lines without the as_of column]}, in file order."""
    slices = {}
    with open(path, newline="") as f:
        next(f)
        for line in f:
            as_of, rest = line.rstrip("\n").split(",", 1)
            slices.setdefault(as_of, []).append(rest)
    return slices


def test_cli_history_from_sqlite_equals_csv_and_fills_the_history_table(cli, bad_base, tmp_path):
    db = tmp_path / "crm.db"
    csv_to_sqlite(bad_base, db)
    p = run(cli, "history", bad_base, "--as-of", DATES, "--out", tmp_path / "csv.csv", "--quiet")
    assert p.returncode == 0, p.stderr
    for _ in range(2):  # the second run replaces each date's rows, it does not add to them
        p = run(cli, "history", "--db", f"sqlite:{db}", "--as-of", DATES, "--out", tmp_path / "db.csv",
                "--history-table", "history", "--quiet")
        assert p.returncode == 0, p.stderr
    assert (tmp_path / "db.csv").read_bytes() == (tmp_path / "csv.csv").read_bytes()

    slices = history_slices(tmp_path / "csv.csv")
    assert list(slices) == DATES.split(",")
    con = sqlite3.connect(db)
    columns = [r[1] for r in con.execute("PRAGMA table_info(history)")]
    header = (tmp_path / "csv.csv").read_text().splitlines()[0].split(",")[1:]
    for as_of, rows in slices.items():
        stored = con.execute(f"SELECT {', '.join(columns[1:])} FROM history WHERE as_of = ? ORDER BY rowid",
                             (as_of,)).fetchall()
        assert len(stored) == len(rows) > 0  # the customers acquired by as_of, in the CSV's order
        expected = [dict(zip(header, next(csv.reader([r])))) for r in rows]
        for got, want in zip(stored, expected):
            for name, value in zip(columns[1:], got):
                cell = want[name]
                if value is None:
                    assert cell == "", (as_of, name)
                elif cell in ("true", "false"):  # BOOLEAN: 0/1 in SQLite
                    assert value == (cell == "true"), (as_of, name)
                elif isinstance(value, float):
                    assert value == float(cell), (as_of, name)
                else:
                    assert str(value) == cell, (as_of, name)
    assert con.execute("SELECT count(*) FROM history").fetchone()[0] == sum(map(len, slices.values()))
    assert sorted(r[0] for r in con.execute("SELECT as_of FROM rapport_runs")) == sorted(DATES.split(",") * 2)
    con.close()


def test_cli_history_db_only_table_and_output_checks(cli, bad_base, tmp_path):
    db = tmp_path / "crm.db"
    csv_to_sqlite(bad_base, db)
    p = run(cli, "history", "--db", f"sqlite:{db}", "--as-of", "2025-06-30", "--history-table", "h",
            "--runs-table", "", "--quiet")
    assert p.returncode == 0, p.stderr
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(DISTINCT as_of), min(as_of) FROM h").fetchone() == (1, "2025-06-30")
    assert con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'rapport_runs'").fetchone() == (0,)
    con.close()
    before = db.read_bytes()
    p = run(cli, "history", "--db", f"sqlite:{db}", "--as-of", "2025-06-30", "--out", db, "--quiet")
    assert p.returncode == 2 and "--db" in p.stderr and "refusing to overwrite an input" in p.stderr, p.stderr
    assert db.read_bytes() == before
    p = run(cli, "history", "--db", f"sqlite:{db}", "--as-of", "2025-06-30", "--quiet")
    assert p.returncode == 2 and "--history-table" in p.stderr, p.stderr
    p = run(cli, "history", bad_base, "--as-of", "2025-06-30", "--history-table", "h", "--quiet")
    assert p.returncode == 2 and "need --db" in p.stderr, p.stderr
    p = run(cli, "history", "--db", f"sqlite:{db}", "--as-of", "2025-06-30", "--out-table", "s", "--quiet")
    assert p.returncode == 2 and "--out-table" in p.stderr, p.stderr
