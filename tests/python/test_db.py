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
    with pytest.raises(RuntimeError, match="not a plain table name"):
        rapport.load_db(f"sqlite:{db}", tables={"customers": "clients; DROP TABLE x"})
    with pytest.raises(rapport.InputError, match="customers table not found"):
        rapport.load_db(f"sqlite:{db}")
    with pytest.raises(rapport.DataError):
        rapport.load_db(f"sqlite:{db}", tables={"customers": "clients"}, strict=True)
