"""rapport.dask.read_db: a database read in ranges inside one snapshot equals one rapport.load_db.

PostgreSQL tests run when RAPPORT_TEST_PG_URI names a server (scripts/pg-throwaway.sh); they use
the distributed LocalCluster of test_dask.py, so the ranges are read in other processes, each on
a connection of its own that imports the snapshot.
"""

import gc
import os
import sqlite3
import subprocess
import time

import numpy as np
import pytest

import rapport

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
import rapport.dask as rdask  # noqa: E402  (needs dask)
from test_dask import assert_same_scores, client  # noqa: E402,F401  (the module's cluster fixture)
from test_db import csv_to_sqlite  # noqa: E402
from test_db_hardening import PG_URI, needs_pg, pg_schema  # noqa: E402,F401

pytestmark = pytest.mark.filterwarnings("ignore::rapport.RejectedRowsWarning")

TABLES = ("customers", "contacts", "purchases", "referrals")
REJECT_KEYS = ["table", "row", "column", "reason", "file", "line", "column_number", "raw"]


def mapping(schema):
    return {t: f"{schema}.{t}" for t in TABLES}


def imported(cli, pg, schema, tmp_path, customers=300):
    """A generated base imported into `schema` with native column types, then rows the row rule
    rejects inserted among the others, rows with values CSV must quote, and rows deleted so that
    some pages hold no visible row (the ranges over them are empty)."""
    rapport.generate_csv(tmp_path, customers, seed=8)
    tables = ",".join(f"{t}={schema}.{t}" for t in TABLES)
    r = subprocess.run([cli, "import", str(tmp_path), "--db", PG_URI, "--tables", tables], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    s = schema
    pg.exec(f"""
        INSERT INTO {s}.customers (customer_id, acquired_on, segment) VALUES
          ('C000001', DATE '2019-01-01', 'dup'),                 -- duplicate key: the first row wins
          ('', DATE '2019-01-01', 'x'),                          -- empty key
          ('no-date', NULL, 'x'),                                -- missing acquired_on
          ('quoted', DATE '2019-03-01', 'a,"b"' || chr(10) || 'c');  -- accepted: CSV quotes it
        INSERT INTO {s}.contacts SELECT * FROM {s}.contacts WHERE ctid < '(1,0)'::tid;
        UPDATE {s}.contacts SET impression = 7 WHERE ctid = '(0,3)'::tid;         -- out of range
        INSERT INTO {s}.contacts (customer_id, at, channel, stage, initiator, aspect, impression, complaint)
          SELECT 'nobody', at, channel, stage, initiator, aspect, impression, complaint
          FROM {s}.contacts WHERE ctid = '(0,1)'::tid;            -- unknown customer
        DELETE FROM {s}.contacts WHERE ctid >= '(2,0)'::tid AND ctid < '(4,0)'::tid;
        INSERT INTO {s}.purchases (customer_id, at, amount) VALUES ('quoted', TIMESTAMPTZ '2019-05-01 10:00+00', -3),
          ('quoted', TIMESTAMPTZ '2019-06-01 10:00+00', 12.5);
        DELETE FROM {s}.purchases WHERE ctid >= '(1,0)'::tid AND ctid < '(2,0)'::tid;
        INSERT INTO {s}.referrals (referrer_id, referred_id, at)
          SELECT referrer_id, referrer_id, at FROM {s}.referrals LIMIT 1;  -- self-referral
    """)
    return mapping(schema)


def one_machine(uri, tables):
    base = rapport.load_db(uri, tables=tables)
    return rapport.score(base), base.rejects_frame()


def assert_same_rejects(one, dist):
    """load_db numbers a rejected row by `line` (its row in read order, from 1); the Dask read
    gives the same line, and `row` = line - 1 (0-based, as for every Dask input)."""
    assert one["row"].isna().all()
    one = one.assign(row=one["line"] - 1)
    key = ["table", "row"]
    a = one[REJECT_KEYS].sort_values(key).reset_index(drop=True)
    b = dist[REJECT_KEYS].sort_values(key).reset_index(drop=True)
    assert len(a) > 0
    assert a.astype(str).to_dict("records") == b.astype(str).to_dict("records")


@needs_pg
def test_read_db_in_ranges_equals_load_db(client, cli, pg_schema, tmp_path):  # noqa: F811
    pg, schema = pg_schema
    tables = imported(cli, pg, schema, tmp_path)
    one, one_rejects = one_machine(PG_URI, tables)
    with rdask.read_db(PG_URI, tables=tables, blocksize=8192) as db:
        assert set(db) == set(TABLES)
        assert db["contacts"].npartitions >= 8 and db["purchases"].npartitions >= 3
        # some ranges are empty (pages whose rows were deleted), and the ranges hold every row once
        info = [rdask._rapport._db_cut(PG_URI, db.id, [(db["contacts"].name, lo, hi, 0, 1)])[0][0][0]
                for lo, hi in db["contacts"].ranges]
        assert 0 in info and sum(info) == int(pg.value(f"SELECT count(*) FROM {schema}.contacts"))
        run = rdask.score_run(**db, npartitions=4)
        assert_same_scores(one, run.scores.compute())
        assert_same_rejects(one_rejects, run.rejects.compute())
    assert db.closed


@needs_pg
def test_read_db_sees_the_snapshot_not_later_writes(client, cli, pg_schema, tmp_path):  # noqa: F811
    pg, schema = pg_schema
    tables = imported(cli, pg, schema, tmp_path, customers=150)
    one, one_rejects = one_machine(PG_URI, tables)
    db = rdask.read_db(PG_URI, tables=tables, blocksize=16384)
    try:
        # committed on another connection after the snapshot: inserts, deletes and updates
        pg.exec(f"INSERT INTO {schema}.customers (customer_id, acquired_on) VALUES ('late', DATE '2019-01-01')")
        pg.exec(f"DELETE FROM {schema}.purchases WHERE ctid < '(1,0)'::tid")
        pg.exec(f"UPDATE {schema}.contacts SET impression = 7")
        assert len(one_machine(PG_URI, tables)[1]) > len(one_rejects)  # a fresh read sees them
        run = rdask.score_run(**db, npartitions=3)
        assert_same_scores(one, run.scores.compute())
        assert_same_rejects(one_rejects, run.rejects.compute())
    finally:
        db.close()


def _snapshot_session(pg, schema):
    """Makes `schema`.customers and returns a function giving the pid of the session that holds a
    lock on it — a read_db snapshot's session, told by its lock on this test's own table (other
    tests share the server, so a count of all sessions would move under the test) — or None."""
    pg.exec(f"CREATE TABLE {schema}.customers (customer_id TEXT, acquired_on DATE)")
    held = (f"SELECT min(pid) FROM pg_locks WHERE relation = to_regclass('{schema}.customers') "
            "AND pid <> pg_backend_pid()")
    return lambda: int(pg.value(held) or 0) or None  # libpq gives NULL (no such session) as ""


def _wait_gone(pg, pid):
    """Whether backend `pid` leaves pg_stat_activity within 2 s."""
    alive = f"SELECT count(*) FROM pg_stat_activity WHERE pid = {int(pid)}"
    for _ in range(100):
        if int(pg.value(alive)) == 0:
            return True
        time.sleep(0.02)
    return False


@needs_pg
def test_read_db_close_ends_the_snapshot_connection(pg_schema):  # noqa: F811
    pg, schema = pg_schema
    session = _snapshot_session(pg, schema)
    assert session() is None
    db = rdask.read_db(PG_URI, tables={"customers": f"{schema}.customers"})
    pid = session()
    assert pid is not None
    assert db["contacts"] is None and db["customers"].ranges == [(0, None)]  # empty: one open range
    assert len(db.id) > 0 and set(db.id) <= set("0123456789ABCDEF-")
    db.close()
    db.close()  # idempotent
    assert _wait_gone(pg, pid)  # the connection itself ended, not only its transaction
    with pytest.raises(rapport.UsageError, match="snapshot is closed"):
        rdask.score_run(**db)
    # a range task run after the close: the server no longer knows the snapshot
    with pytest.raises(rapport.InputError, match="snapshot"):
        rdask._rapport._db_cut(PG_URI, db.id, [(f"{schema}.customers", 0, None, 0, 1)])


@needs_pg
def test_read_db_bad_inputs(pg_schema):  # noqa: F811
    pg, schema = pg_schema
    with pytest.raises(rapport.ConfigError, match="not a plain table name"):
        rdask.read_db(PG_URI, tables={"customers": "a;b"})
    with pytest.raises(rapport.ConfigError, match="unknown table"):
        rdask.read_db(PG_URI, tables={"clients": "x"})
    with pytest.raises(rapport.InputError, match="customers table not found"):
        rdask.read_db(PG_URI, tables={"customers": f"{schema}.nothing"})
    with pytest.raises(rapport.InputError, match="cannot connect"):
        rdask.read_db("postgresql://nobody:secret@/nodb?host=/nonexistent")
    with pytest.raises(ValueError):
        rdask.read_db(PG_URI, blocksize=0)


# customers of a parent table (200 rows of ~230 bytes: about 7 pages) with an inheritance child,
# and a materialized view of both:
#   parent: P1 .. P200, then ('b,1', '2020-02-30', 's,"1"') (no 30 February: rejected)
#   child:  P150 (a duplicate of a row in the parent's later pages), C1
# load_db reads the parent's rows, then the child's: P150's parent row wins, the child's is
# rejected at line 202. Cut in page ranges, range 0 would hold parent page 0 then child page 0:
# the child's P150 first. So the parent is one range; the view, whose rows are its own, is cut.
@needs_pg
def test_read_db_inheritance_parent_and_matview_equal_load_db(client, pg_schema):  # noqa: F811
    pg, schema = pg_schema
    pg.exec(f"""
        CREATE TABLE {schema}.parent (customer_id TEXT, acquired_on TEXT, segment TEXT);
        INSERT INTO {schema}.parent SELECT 'P' || i, '2019-01-01', repeat('x', 200) FROM generate_series(1, 200) i;
        INSERT INTO {schema}.parent VALUES ('b,1', '2020-02-30', 's,"1"');
        CREATE TABLE {schema}.child () INHERITS ({schema}.parent);
        INSERT INTO {schema}.child VALUES ('P150', '2019-02-01', 'child'), ('C1', '2019-02-01', 'child');
        CREATE MATERIALIZED VIEW {schema}.mv AS SELECT * FROM {schema}.parent;
    """)
    for name, cut in (("parent", False), ("mv", True)):
        tables = {"customers": f"{schema}.{name}"}
        one, one_rejects = one_machine(PG_URI, tables)
        assert sorted(one_rejects["raw"]) == ['"b,1",2020-02-30,"s,""1"""', "P150,2019-02-01,child"]
        assert list(one_rejects.sort_values("line")["line"]) == [201, 202]
        with rdask.read_db(PG_URI, tables=tables, blocksize=8192) as db:
            assert (db["customers"].npartitions >= 4) if cut else (db["customers"].ranges == [(None, None)])
            run = rdask.score_run(**db, npartitions=2)
            assert_same_scores(one, run.scores.compute())
            assert_same_rejects(one_rejects, run.rejects.compute())


@needs_pg
def test_read_db_dropped_handle_ends_its_snapshot_without_the_cyclic_gc(pg_schema):  # noqa: F811
    pg, schema = pg_schema
    session = _snapshot_session(pg, schema)
    gc.disable()
    try:
        db = rdask.read_db(PG_URI, tables={"customers": f"{schema}.customers"})
        table = db["customers"]
        pid = session()
        assert pid is not None
        del db
        assert session() == pid  # a table still referenced keeps it open
        del table
        assert _wait_gone(pg, pid)
    finally:
        gc.enable()


def test_read_db_sqlite_holds_no_lock_and_reads_the_file_as_the_task_finds_it(client, base_dir, tmp_path):  # noqa: F811
    db_path = tmp_path / "crm.db"
    csv_to_sqlite(base_dir, db_path)
    uri = f"sqlite:{db_path}"
    with rdask.read_db(uri) as db, rdask.read_db(uri) as again:
        # a writer goes on while the handle is open (rollback journal: no busy wait allowed)
        with sqlite3.connect(db_path, timeout=0) as c:
            c.execute("INSERT INTO customers (customer_id, acquired_on) VALUES ('new', '2020-01-01')")
        one, one_rejects = one_machine(uri, None)
        scores = rdask.score_run(**db, npartitions=2).scores.compute()
        assert "new" in set(scores["customer_id"])
        assert_same_scores(one, scores)
        # each handle's read is a task of its own (never a result shared between handles)
        assert db["customers"]._cuts(0, 2)[0].key != again["customers"]._cuts(0, 2)[0].key


def test_read_db_sqlite_equals_load_db(client, base_dir, tmp_path):  # noqa: F811
    """SQLite: every table read whole in one task and one read transaction, split by customer."""
    db_path = tmp_path / "crm.db"
    csv_to_sqlite(base_dir, db_path)
    with sqlite3.connect(db_path) as c:  # rejected rows and a value CSV must quote
        c.execute("INSERT INTO customers (customer_id, acquired_on, segment) VALUES ('', '2020-01-01', 'x'), "
                  "('q', '2020-01-01', 'a,\"b\"'), ('bad', '2020-02-30', 'x'), ('b,1', '2020-02-30', 's,\"1\"')")
    uri = f"sqlite:{db_path}"
    one, one_rejects = one_machine(uri, None)
    assert '"b,1",2020-02-30,"s,""1"""' in set(one_rejects["raw"])  # its CSV record, as the Dask read spells it
    with rdask.read_db(uri, blocksize=1000) as db:
        assert db.id == "" and all(db[t].ranges == [(None, None)] for t in TABLES)
        run = rdask.score_run(**db, npartitions=3)
        assert_same_scores(one, run.scores.compute())
        assert_same_rejects(one_rejects, run.rejects.compute())
    sqlite3.connect(tmp_path / "other.db").execute("CREATE TABLE other (a)")
    with pytest.raises(rapport.InputError, match="customers table not found"):
        rdask.read_db(f"sqlite:{tmp_path / 'other.db'}")
    with pytest.raises(rapport.InputError, match="cannot open"):
        rdask.read_db(f"sqlite:{tmp_path / 'missing.db'}")
