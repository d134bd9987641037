"""Databases, hardening round two (issue 21), through the command line and the Python API: real
concurrent `rapport score` processes writing back to PostgreSQL (item 1) and to SQLite, and no
form of a password on stdout, stderr or in an exception (item 2). The PostgreSQL tests run when
RAPPORT_TEST_PG_URI names a server (scripts/pg-throwaway.sh; scripts/test.sh starts one)."""

import ctypes
import ctypes.util
import os
import random
import sqlite3
import subprocess
import time

import pytest

import rapport

PG_URI = os.environ.get("RAPPORT_TEST_PG_URI")
needs_pg = pytest.mark.skipif(not PG_URI, reason="RAPPORT_TEST_PG_URI is not set")
pytestmark = pytest.mark.filterwarnings("ignore::rapport.RejectedRowsWarning")


class Pg:
    """A libpq connection through ctypes (no Python driver needed): exec() returns the rows."""

    def __init__(self, uri):
        self.lib = lib = ctypes.CDLL(ctypes.util.find_library("pq") or "libpq.so.5")
        lib.PQconnectdb.restype = ctypes.c_void_p
        lib.PQconnectdb.argtypes = [ctypes.c_char_p]
        lib.PQstatus.argtypes = [ctypes.c_void_p]
        lib.PQexec.restype = ctypes.c_void_p
        lib.PQexec.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.PQresultStatus.argtypes = [ctypes.c_void_p]
        lib.PQresultErrorMessage.restype = ctypes.c_char_p
        lib.PQresultErrorMessage.argtypes = [ctypes.c_void_p]
        lib.PQntuples.argtypes = lib.PQnfields.argtypes = [ctypes.c_void_p]
        lib.PQgetvalue.restype = ctypes.c_char_p
        lib.PQgetvalue.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
        lib.PQclear.argtypes = lib.PQfinish.argtypes = [ctypes.c_void_p]
        self.conn = lib.PQconnectdb(uri.encode())
        assert lib.PQstatus(self.conn) == 0, "cannot connect to RAPPORT_TEST_PG_URI"

    def exec(self, sql):
        r = self.lib.PQexec(self.conn, sql.encode())
        try:
            status = self.lib.PQresultStatus(r)
            assert status in (1, 2), self.lib.PQresultErrorMessage(r).decode()  # COMMAND_OK, TUPLES_OK
            return [tuple(self.lib.PQgetvalue(r, i, j).decode() for j in range(self.lib.PQnfields(r)))
                    for i in range(self.lib.PQntuples(r))]
        finally:
            self.lib.PQclear(r)

    def value(self, sql):
        return self.exec(sql)[0][0]

    def close(self):
        self.lib.PQfinish(self.conn)


@pytest.fixture()
def pg_schema():
    pg = Pg(PG_URI)
    name = f"rapport_conc_{random.randrange(10**9)}"
    pg.exec("SET client_min_messages = warning")
    pg.exec(f"CREATE SCHEMA {name}")
    yield pg, name
    pg.exec(f"DROP SCHEMA {name} CASCADE")
    pg.close()


def run(cli, *args):
    return subprocess.run([cli, *map(str, args)], capture_output=True, text=True, timeout=300)


def start(cli, *args):
    return subprocess.Popen([cli, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def tables_option(schema):
    return ",".join(f"{t}={schema}.{t}" for t in ("customers", "contacts", "purchases", "referrals"))


def writers(cli, uri, schema, n):
    """n concurrent `rapport score --db ... --out-table T --history-table H` processes."""
    return [start(cli, "score", "--db", uri, "--tables", tables_option(schema), "--out-table", f"{schema}.t",
                  "--history-table", f"{schema}.h", "--runs-table", f"{schema}.runs", "--quiet")
            for _ in range(n)]


def finish(procs):
    out = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    for rc, _, err in out:
        assert rc == 0, err
    return out


@needs_pg
def test_item1_concurrent_write_backs_leave_one_set_postgres(cli, base_dir, pg_schema):
    pg, schema = pg_schema
    p = run(cli, "import", base_dir, "--db", PG_URI, "--tables", tables_option(schema))
    assert p.returncode == 0, p.stderr
    customers = int(pg.value(f"SELECT count(*) FROM {schema}.customers"))

    # 1. fresh tables: six writers race to create T, H and the runs table; none may fail
    finish(writers(cli, PG_URI, schema, 6))
    assert pg.value(f"SELECT count(*) FROM {schema}.t") == str(customers)
    assert pg.exec(f"SELECT count(*), count(DISTINCT as_of) FROM {schema}.h") == [(str(customers), "1")]
    assert pg.value(f"SELECT count(*) FROM {schema}.runs") == "6"

    # 2. overlapping writers, forced: this session holds T in SHARE mode (readers allowed, writers
    # wait), so five writers pile up before their first write; then all go at once
    pg.exec("BEGIN")
    pg.exec(f"LOCK TABLE {schema}.t IN SHARE MODE")
    procs = writers(cli, PG_URI, schema, 5)
    watcher = Pg(PG_URI)  # its own session: pg_stat_activity is a snapshot per transaction
    deadline = time.time() + 120
    while time.time() < deadline:
        waiting = int(watcher.value("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"))
        if waiting >= 5 or any(p.poll() is not None for p in procs):
            break
        time.sleep(0.05)
    watcher.close()
    assert waiting >= 5, waiting
    # a reader meanwhile sees the whole previous set
    assert pg.value(f"SELECT count(*) FROM {schema}.t") == str(customers)
    pg.exec("COMMIT")
    finish(procs)
    assert pg.value(f"SELECT count(*) FROM {schema}.t") == str(customers)
    assert pg.value(f"SELECT count(DISTINCT customer_id) FROM {schema}.t") == str(customers)
    assert pg.exec(f"SELECT count(*), count(DISTINCT as_of) FROM {schema}.h") == [(str(customers), "1")]
    assert pg.value(f"SELECT count(*) FROM {schema}.runs") == "11"


def test_item1_two_concurrent_write_backs_sqlite(cli, base_dir, tmp_path):
    db = tmp_path / "crm.db"
    p = run(cli, "import", base_dir, "--db", f"sqlite:{db}")
    assert p.returncode == 0, p.stderr
    procs = [start(cli, "score", "--db", f"sqlite:{db}", "--out-table", "t", "--history-table", "h", "--quiet")
             for _ in range(2)]
    finish(procs)
    con = sqlite3.connect(db)
    customers = con.execute("SELECT count(*) FROM customers").fetchone()[0]
    assert con.execute("SELECT count(*), count(DISTINCT customer_id) FROM t").fetchone() == (customers, customers)
    assert con.execute("SELECT count(*), count(DISTINCT as_of) FROM h").fetchone() == (customers, 1)
    assert con.execute("SELECT count(*) FROM rapport_runs").fetchone() == (2,)
    con.close()


# --- item 2: passwords -------------------------------------------------------------------------

FORMS = [
    "postgresql://ann:Sup3rS3cret@/crm?host=/nonexistent-rapport-dir&connect_timeout=2",
    "host=/nonexistent-rapport-dir password = Sup3rS3cret dbname=crm",
    "host=/nonexistent-rapport-dir password='Sup3r\\' S3cret' dbname=crm",
    "host=/nonexistent-rapport-dir password=Sup3r\\ S3cret dbname=crm",
    "host=/nonexistent-rapport-dir password=Sup3r S3cret dbname=crm",
    "postgresql:///crm?host=/nonexistent-rapport-dir&password=Sup3rS3cret",
    "postgresql://ann:Sup3r%zzS3cret@/crm?host=/nonexistent-rapport-dir",
    "postgresql://ann:Sup3r@S3cret@/crm?host=/nonexistent-rapport-dir",
    "postgresql://ann:Sup3r/S3cret@localhost/crm?host=/nonexistent-rapport-dir",
]


def assert_no_secret(text):
    for piece in ("Sup3r", "S3cret"):
        assert piece not in text, text


@pytest.mark.parametrize("uri", FORMS)
def test_item2_no_password_on_stdout_stderr_or_in_an_exception(cli, base_dir, tmp_path, uri):
    for args in (["score", "--db", uri, "--out-table", "t"], ["import", base_dir, "--db", uri],
                 ["history", "--db", uri, "--as-of", "2025-06-30", "--history-table", "h"],
                 ["report", "--db", uri, "--out", tmp_path / "r.html"]):
        p = run(cli, *args)
        assert p.returncode == 2, (args, p.stderr)
        assert "cannot connect" in p.stderr
        assert_no_secret(p.stdout + p.stderr)
    with pytest.raises(rapport.InputError) as e:
        rapport.load_db(uri)
    assert_no_secret(str(e.value))
    assert not (tmp_path / "r.html").exists()


@needs_pg
def test_item2_no_password_in_a_successful_run_or_its_runs_table(cli, base_dir, pg_schema):
    pg, schema = pg_schema
    uri = PG_URI + "&password=Sup3rS3cret"  # the throwaway server trusts its socket: ignored
    p = run(cli, "import", base_dir, "--db", uri, "--tables", tables_option(schema))
    assert p.returncode == 0, p.stderr
    assert_no_secret(p.stdout + p.stderr)
    p = run(cli, "score", "--db", uri, "--tables", tables_option(schema), "--out-table", f"{schema}.t",
            "--runs-table", f"{schema}.runs")
    assert p.returncode == 0, p.stderr
    assert "wrote" in p.stderr
    assert_no_secret(p.stdout + p.stderr)
    assert pg.value(f"SELECT count(*) FROM {schema}.runs WHERE summary || parameters LIKE '%S3cret%'") == "0"


@needs_pg
def test_item7_cli_import_into_postgres_lists_the_rows_it_cannot_store(cli, tmp_path, pg_schema):
    pg, schema = pg_schema
    folder = tmp_path / "csv"
    folder.mkdir()
    # C: year 0000 (PostgreSQL has none); its purchase goes with it; D is imported
    (folder / "customers.csv").write_text("customer_id,acquired_on\nC,0000-01-01\nD,2024-01-01\n")
    (folder / "purchases.csv").write_text("customer_id,at,amount\nC,2024-01-01,5\nD,2024-01-01,5\n")
    p = run(cli, "import", folder, "--db", PG_URI, "--tables", tables_option(schema))
    assert p.returncode == 0, p.stderr
    assert "1 customers, 0 contacts, 1 purchases, 0 referrals (2 rows rejected)" in p.stdout
    assert "customers.csv: not imported: cannot be stored: PostgreSQL has no year 0000 (column acquired_on)" in p.stderr
    assert "purchases.csv: not imported: customer C was not stored" in p.stderr
    assert "rapport score" not in p.stderr  # no CSV rejects to list
    assert pg.exec(f"SELECT customer_id FROM {schema}.customers") == [("D",)]
    strict_tables = ",".join(f"{t}={schema}.strict_{t}" for t in ("customers", "contacts", "purchases", "referrals"))
    p = run(cli, "import", folder, "--db", PG_URI, "--tables", strict_tables, "--strict")
    assert p.returncode == 2 and "no year 0000" in p.stderr, p.stderr
    assert pg.value(f"SELECT count(*) FROM pg_tables WHERE tablename LIKE 'strict_%' AND schemaname = '{schema}'") == "0"
