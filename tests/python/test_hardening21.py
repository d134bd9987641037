"""Issue 21 (hardening, round two), the CLI and Python API items: each test is named after its
item and failed before the fix (see the docstrings)."""

import os
import pathlib
import shutil
import stat
import subprocess

import pytest

import pandas as pd

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


# --- item 8: Python conversions reject what CSV rejects, with its reasons ----------------------------

def _load_quietly(**frames):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rapport.RejectedRowsWarning)
        return rapport.load(**frames)


def _csv_reasons(tmp_path, table, header, rows):
    """The reasons CSV gives for `rows` (text lines) of `table` (one customer 'a' known)."""
    d = tmp_path / ("csv_" + table)
    d.mkdir()
    (d / "customers.csv").write_text("customer_id,acquired_on\na,2024-01-01\n")
    if table != "customers":
        (d / f"{table}.csv").write_text(header + "\n" + "".join(r + "\n" for r in rows))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rapport.RejectedRowsWarning)
        base = rapport.load_dir(d)
    return [(r["line"] - 2, r["column"], r["reason"]) for r in base.rejects]


def _reasons(base):
    return [(r["row"], r["column"], r["reason"]) for r in base.rejects]



def _customers():
    import pandas as pd
    return pd.DataFrame({"customer_id": ["a"], "acquired_on": ["2024-01-01"]})


def _contacts(impressions):
    import pandas as pd
    n = len(impressions)
    return pd.DataFrame({"customer_id": ["a"] * n, "at": ["2024-03-01"] * n, "channel": ["visit"] * n,
                         "stage": ["welcome"] * n, "initiator": ["business"] * n, "aspect": ["technical"] * n,
                         "impression": impressions, "complaint": [False] * n, "resolved_at": [""] * n})


CONTACT_HEADER = "customer_id,at,channel,stage,initiator,aspect,impression,complaint,resolved_at"


def test_item8_an_unsigned_impression_that_does_not_fit_is_out_of_range(tmp_path):
    """Before: uint64 2**64 - 1 was cast to int64 -1 and accepted as a negative impression."""
    import numpy as np
    import pandas as pd
    imp = pd.Series(np.array([1, 2 ** 64 - 1, 2 ** 63, 3, 0], dtype=np.uint64))
    base = _load_quietly(customers=_customers(), contacts=_contacts(imp))
    csv = _csv_reasons(tmp_path, "contacts", CONTACT_HEADER,
                       [f"a,2024-03-01,visit,welcome,business,technical,{v},false," for v in
                        ("1", str(2 ** 64 - 1), str(2 ** 63), "3", "0")])
    assert _reasons(base) == csv == [(1, "impression", "impression out of range -2..2"),
                                     (2, "impression", "impression out of range -2..2"),
                                     (3, "impression", "impression out of range -2..2")]
    assert base.rows["contacts"]["accepted"] == 2


def test_item8_a_boolean_impression_is_not_an_integer(tmp_path):
    """Before: True and False were taken as impressions 1 and 0."""
    import numpy as np
    unparsable = "unparsable impression (expected an integer -2..2)"
    csv = _csv_reasons(tmp_path, "contacts", CONTACT_HEADER,
                       ["a,2024-03-01,visit,welcome,business,technical,true,false,",
                        "a,2024-03-01,visit,welcome,business,technical,false,false,"])
    assert csv == [(0, "impression", unparsable), (1, "impression", unparsable)]
    base = _load_quietly(customers=_customers(), contacts=_contacts([True, False]))  # bool dtype
    assert _reasons(base) == csv
    base = _load_quietly(customers=_customers(), contacts=_contacts([True, np.False_, 1, "2"]))  # objects
    assert _reasons(base) == csv
    assert base.rows["contacts"]["accepted"] == 2


def test_item8_a_boolean_amount_is_not_an_amount(tmp_path):
    """Before: True was an amount of 1.0, False one of 0.0."""
    import numpy as np
    import pandas as pd
    unparsable = "unparsable amount (expected digits with an optional .fraction)"
    csv = _csv_reasons(tmp_path, "purchases", "customer_id,at,amount",
                       ["a,2024-03-01,true", "a,2024-03-01,false", "a,2024-03-01,5", "a,2024-03-01," + "1" + "0" * 400])
    assert csv == [(0, "amount", unparsable), (1, "amount", unparsable), (3, "amount", "non-finite amount")]
    frame = pd.DataFrame({"customer_id": ["a"] * 4, "at": ["2024-03-01"] * 4,
                          "amount": pd.Series([True, np.False_, 5, 10 ** 400], dtype=object)})
    base = _load_quietly(customers=_customers(), purchases=frame)
    assert _reasons(base) == csv
    frame = pd.DataFrame({"customer_id": ["a"] * 3, "at": ["2024-03-01"] * 3,
                          "amount": pd.Series([b" 1e5 ", bytearray(b"5"), 5], dtype=object)})
    base = _load_quietly(customers=_customers(), purchases=frame)  # float() would read the bytes
    assert _reasons(base) == csv[:2]
    frame = pd.DataFrame({"customer_id": ["a"] * 2, "at": ["2024-03-01"] * 2, "amount": [True, False]})
    base = _load_quietly(customers=_customers(), purchases=frame)
    assert _reasons(base) == csv[:2]
    assert base.rows["purchases"]["accepted"] == 0


# --- item 5: rapport generate -------------------------------------------------------------------------

@pytest.mark.parametrize("args,needle", [
    (["--years", "nan"], "years"), (["--years", "inf"], "years"), (["--years", "-1"], "years"),
    (["--years", "0"], "years"), (["--years", "1e9"], "years"), (["--contact-rate", "nan"], "contact_rate"),
    (["--contact-rate", "-3"], "contact_rate"), (["--contact-rate", "0"], "contact_rate"),
    (["--contact-rate", "1e300"], "contact_rate"), (["--customers", "0"], "customers"),
    (["--customers", "-5"], "customers"), (["--customers", "2000000000"], "customers"),
    (["--customers", "1e3"], "customers"), (["--end", "2026-02-30"], "--end"), (["--end", "20260101"], "--end"),
    (["--end", "0000-01-01"], "0000-01-01"), (["--end", "0002-01-01", "--years", "3"], "0000-01-01"),
    (["--years", "4x"], "--years"), (["--bogus"], "--bogus"),
])
def test_item5_generate_refuses_bad_options_at_once(cli, tmp_path, args, needle):
    """Before: nan/inf/negative years and rates ran (or hung), 0 customers wrote empty files, a
    CLI11 parse error exited 105-114."""
    p = run(cli, "generate", tmp_path / "out", *args, timeout=30)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert needle in p.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written, no folder created


def test_item5_generate_writes_a_base_as_a_whole(cli, tmp_path):
    """A new folder, an empty one and a previous base are written whole (the previous base
    replaced, the folder's mode kept); a folder with anything else in it is refused untouched."""
    new = tmp_path / "a" / "new"  # parents created
    assert run(cli, "generate", new, "--customers", 30).returncode == 0
    names = ["contacts.csv", "customers.csv", "purchases.csv", "referrals.csv"]
    assert sorted(x.name for x in new.iterdir()) == names
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(cli, "generate", empty, "--customers", 30).returncode == 0
    assert (empty / "customers.csv").read_bytes() == (new / "customers.csv").read_bytes()
    # a previous base (three of the four files) is replaced as a whole: no stale file survives
    os.chmod(empty, 0o750)
    (empty / "referrals.csv").unlink()
    (empty / "customers.csv").write_text("old\n")
    assert run(cli, "generate", empty, "--customers", 40).returncode == 0
    assert sorted(x.name for x in empty.iterdir()) == names
    assert (empty / "customers.csv").read_text().count("\n") == 41
    assert stat.S_IMODE(os.stat(empty).st_mode) == 0o750
    # anything else in the folder: refused, nothing changed
    (empty / "notes.txt").write_text("mine\n")
    before = {x.name: x.read_bytes() for x in empty.iterdir()}
    p = run(cli, "generate", empty, "--customers", 20)
    assert p.returncode == 2 and "notes.txt" in p.stderr
    assert {x.name: x.read_bytes() for x in empty.iterdir()} == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a", "empty"]  # no temporary folder left


def test_item5_a_failed_generate_leaves_the_old_base_alone(cli, tmp_path):
    """Before: the files were replaced one by one, so a failure while writing contacts.csv left a
    new customers.csv beside the old contacts, purchases and referrals."""
    import resource
    import signal
    base = tmp_path / "base"
    assert run(cli, "generate", base, "--customers", 50, "--seed", 1).returncode == 0
    before = {x.name: x.read_bytes() for x in base.iterdir()}

    def small_files():  # writes beyond 64 KiB fail (EFBIG; SIGXFSZ ignored)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))

    p = subprocess.run([cli, "generate", str(base), "--customers", "400", "--seed", "2"], capture_output=True,
                       text=True, preexec_fn=small_files, timeout=60)
    assert p.returncode == 2, p.stderr
    assert "File too large" in p.stderr
    assert {x.name: x.read_bytes() for x in base.iterdir()} == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["base"]  # the temporary folder removed


def test_item5_python_generate_validates_like_the_cli(tmp_path):
    for kwargs in ({"years": float("nan")}, {"years": -1}, {"contact_rate_per_year": float("inf")},
                   {"referral_share": 1.5}, {"prospect_referrals": -0.1}, {"customers": 0}):
        with pytest.raises(rapport.ConfigError):
            rapport.generate(10, **{k: v for k, v in kwargs.items() if k != "customers"}) if "customers" not in kwargs \
                else rapport.generate(0)
        with pytest.raises(rapport.ConfigError):
            rapport.generate_csv(tmp_path / "g", **({"customers": 0} if "customers" in kwargs else kwargs))
    assert not (tmp_path / "g").exists()


# --- item 6: every output, every entry point; all or nothing ------------------------------------------

def test_item6_a_failure_at_the_last_output_replaces_no_output(cli, base, tmp_path):
    """Before: scores.csv and summary.json were replaced, then --explain failed (disk full)."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    out, summary = tmp_path / "s.csv", tmp_path / "s.json"
    out.write_text("old scores\n")
    summary.write_text("old summary\n")
    p = run(cli, "score", base, "--out", out, "--summary", summary, "--rejects", tmp_path / "r.csv",
            "--explain", "/dev/full", "--quiet")
    assert p.returncode == 2 and "No space left on device" in p.stderr, p.stderr
    assert out.read_text() == "old scores\n" and summary.read_text() == "old summary\n"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["base", "s.csv", "s.json"]


def test_item6_a_failed_write_back_replaces_no_file(cli, base, tmp_path):
    """Before: the files were in place before the database write-back failed."""
    import sqlite3
    db = tmp_path / "crm.sqlite"
    assert run(cli, "import", base, "--db", f"sqlite:{db}").returncode == 0
    with sqlite3.connect(db) as c:
        c.execute("CREATE VIEW scores AS SELECT 1 AS x")  # the out-table cannot be written
    out, summary = tmp_path / "s.csv", tmp_path / "s.json"
    out.write_text("old scores\n")
    p = run(cli, "score", "--db", f"sqlite:{db}", "--out-table", "scores", "--out", out, "--summary", summary,
            "--quiet")
    assert p.returncode == 2, p.stderr
    assert out.read_text() == "old scores\n" and not summary.exists()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["base", "crm.sqlite", "s.csv"]


def test_item6_python_report_refuses_an_output_onto_an_input(base, tmp_path):
    """Before: rapport.report(DIR, out=DIR/customers.csv) replaced the customers file with HTML."""
    before = {x.name: x.read_bytes() for x in base.iterdir()}
    for out in (base / "customers.csv", base / "." / "purchases.csv"):
        with pytest.raises(rapport.OutputError, match="is the input"):
            rapport.report(base, out=out)
        with pytest.raises(rapport.OutputError, match="is the input"):
            rapport.report(rapport.load_dir(base), out=out)  # the base remembers its files
        with pytest.raises(rapport.OutputError, match="is the input"):
            rapport.report(str(base / "customers.csv"), str(base / "contacts.csv"), str(base / "purchases.csv"),
                           out=out)
    link = tmp_path / "link.csv"
    link.symlink_to(base / "referrals.csv")
    with pytest.raises(rapport.OutputError, match="is the input"):
        rapport.report(base, out=link)
    assert {x.name: x.read_bytes() for x in base.iterdir()} == before
    html = rapport.report(base, out=tmp_path / "r.html")  # any other output is written
    assert (tmp_path / "r.html").read_text() == html


def test_item6_python_report_refuses_its_sqlite_database(cli, base, tmp_path):
    db = tmp_path / "crm.sqlite"
    assert run(cli, "import", base, "--db", f"sqlite:{db}").returncode == 0
    before = db.read_bytes()
    with pytest.raises(rapport.OutputError, match="is the input"):
        rapport.report(rapport.load_db(f"sqlite:{db}"), out=db)
    assert db.read_bytes() == before


# --- item 6: a history's dates are written all or nothing ---------------------------------------------

def test_item6_history_write_back_is_all_or_nothing(cli, base, tmp_path):
    """Before: `rapport history --history-table` committed each date alone, so a failure at a later
    date (here: strict mode, and too few buyers to fit the value models at the early date) left the
    earlier dates in the table. Now every date is written in one transaction, and the history CSV is
    put in place only after it commits."""
    import sqlite3

    db = tmp_path / "crm.db"
    out = tmp_path / "history.csv"
    assert run(cli, "import", base, "--db", f"sqlite:{db}").returncode == 0
    p = run(cli, "history", "--as-of", "2026-06-30,2022-07-05", "--db", f"sqlite:{db}",
            "--history-table", "hist", "--out", out, "--strict", "--quiet")
    assert p.returncode == 3, p.stderr  # the value models cannot be fitted at 2022-07-05
    assert not out.exists()
    with sqlite3.connect(db) as c:
        tables = {r[0] for r in c.execute("select name from sqlite_master where type = 'table'")}
        assert "hist" not in tables or c.execute("select count(*) from hist").fetchone()[0] == 0
    # the same dates in the other order fail the same way: the first date is not kept either
    p = run(cli, "history", "--as-of", "2022-07-05,2026-06-30", "--db", f"sqlite:{db}",
            "--history-table", "hist", "--strict", "--quiet")
    assert p.returncode == 3
    # and without the failing date every date is stored, once
    p = run(cli, "history", "--as-of", "2026-06-30,2026-01-31", "--db", f"sqlite:{db}",
            "--history-table", "hist", "--out", out, "--quiet")
    assert p.returncode == 0, p.stderr
    with sqlite3.connect(db) as c:
        dates = sorted(r[0] for r in c.execute("select distinct as_of from hist"))
    assert [str(d)[:10] for d in dates] == ["2026-01-31", "2026-06-30"]
    assert out.exists()
