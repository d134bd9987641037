"""Value intervals everywhere: every value model, the two steps a cluster runs (draws on the
client, rows per partition), the live Scorer and the database write-back."""

import sqlite3
import subprocess

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import rapport
from rapport import _rapport
from rapport._data import _resolve
from rapport._score import _frame

from conftest import fresh
from test_db_hardening import PG_URI, needs_pg, pg_schema, run, tables_option  # noqa: F401 (pg_schema: a fixture)

IV = ["p_alive_lo", "p_alive_hi", "expected_purchases_lo", "expected_purchases_hi", "expected_value_lo",
      "expected_value_hi"]


def _cfg(**kw):
    return rapport.ScoringConfig(intervals=0.9, interval_draws=50, **kw)


@pytest.mark.parametrize("model,extra", [("bgnbd", {}), ("pareto_nbd", {}), ("mbgnbd", {}),
                                         ("bgbb", {"opportunity_days": 30}), ("auto", {}),
                                         ("bgnbd", {"discount_rate": 0.1})])
def test_every_model_has_intervals_holding_its_point(tables_str, model, extra):
    frames = fresh(tables_str)
    cfg = _cfg(value_model=model, **extra)
    got = rapport.score(**frames, config=cfg)
    assert list(got.columns[-6:]) == IV
    buyers = got["p_alive"].notna()
    assert buyers.sum() > 100
    for name in ("p_alive", "expected_purchases", "expected_value"):
        lo, hi, point = got[name + "_lo"][buyers], got[name + "_hi"][buyers], got[name][buyers]
        assert (lo <= hi).all(), name
        assert ((lo <= point * (1 + 1e-9)) & (point <= hi * (1 + 1e-9))).mean() > 0.8, name
    # no purchases: no p_alive interval, expected value exactly [0, 0]
    none = ~buyers
    assert got.loc[none, "p_alive_lo"].isna().all()
    assert (got.loc[none, "expected_value_lo"] == 0).all() and (got.loc[none, "expected_value_hi"] == 0).all()
    # the same bytes for another thread count
    cfg.threads = 2
    pdt.assert_frame_equal(rapport.score(**frames, config=cfg), got, check_exact=True)


def test_two_steps_over_partitions_equal_one_process(tables_str):
    """The contract rapport.dask builds on: the draws from the patterns of every partition, in
    any order, and each partition's rows evaluated under them equal one process's intervals."""
    frames = fresh(tables_str)
    for method in ("parametric", "bootstrap"):
        cfg = _cfg(interval_method=method)
        whole_run = _rapport._score(_resolve(frames["customers"], frames["contacts"], frames["purchases"], None, False),
                                    None, cfg)
        day, bg, gg = whole_run.as_of_day, whole_run.bgnbd, whole_run.gamma_gamma
        whole = _frame(whole_run)
        # two partitions by customer, scored with the whole base's parameters given (no draws of their own)
        given = rapport.ScoringConfig.from_json(cfg.to_json())
        given.bgnbd = {k: bg[k] for k in ("r", "alpha", "a", "b")}
        given.gamma_gamma = {k: gg[k] for k in ("p", "q", "gamma")}
        ids = frames["customers"]["customer_id"]
        bases, runs = [], []
        for part in (ids.iloc[1::2], ids.iloc[0::2]):
            keep = {t: f[f["customer_id"].isin(part)] for t, f in frames.items() if t != "referrals"}
            bases.append(_resolve(keep["customers"], keep["contacts"], keep["purchases"], None, False))
            runs.append(_rapport._score(bases[-1], day, given))
        # step (a)'s input per partition, as rapport.dask takes it: the patterns without a score run
        patterns = [_rapport._value_interval_patterns(b, day, given) for b in bases]
        whole_patterns = _rapport._value_interval_patterns(
            _resolve(frames["customers"], frames["contacts"], frames["purchases"], None, False), day, given)
        assert [p["model"] for p in patterns] == ["bgnbd", "bgnbd"]
        assert sum(p["x"].size for p in patterns) == whole_patterns["x"].size > 0  # one row per buyer, split
        assert np.isnan(_frame(_rapport._score(_resolve(frames["customers"], None, frames["purchases"], None, False),
                                               day, given))["p_alive_lo"]).all()
        # the client draws with the config as the user gave it (given parameters have no draws)
        assert _rapport._interval_draws(patterns, given, True)["purchase"] == []
        draws = _rapport._interval_draws(patterns, cfg, True)
        assert draws["model"] == "bgnbd" and len(draws["purchase"]) == len(draws["spend"]) == 50
        # the client's draws leave as plain floats and come back unchanged
        again = _rapport._interval_draws(patterns[::-1], cfg, True)
        assert again == draws
        for r in runs:
            r.fill_intervals(draws)
        parts = pd.concat([_frame(r) for r in runs]).set_index("customer_id").loc[whole["customer_id"], IV]
        pdt.assert_frame_equal(parts.reset_index(drop=True), whole[IV], check_exact=True)


def test_scorer_intervals_equal_a_full_run(tables_str):
    frames = fresh(tables_str)
    cu = frames["customers"]
    early = cu["customer_id"].iloc[:300]
    start = {"customers": cu.iloc[:300]}
    batch = {"customers": cu.iloc[300:]}
    for t in ("contacts", "purchases"):
        f = frames[t]
        mine = f["customer_id"].isin(early)
        start[t], batch[t] = f[mine], f[~mine]
    cfg = _cfg()
    scorer = rapport.Scorer(**start, config=cfg)
    draws = scorer._scorer.interval_draws
    assert len(draws["purchase"]) == 50
    assert len(scorer.add(**batch)) == 0
    live = scorer.scores()
    assert list(live.columns[-6:]) == IV
    # the batch's rows are evaluated under the draws of the first fit, kept with its parameters
    assert scorer._scorer.interval_draws == draws
    union = {t: pd.concat([start[t], batch[t]], ignore_index=True) for t in start}
    run = _rapport._score(_resolve(union["customers"], union["contacts"], union["purchases"], None, False),
                          scorer._scorer.as_of_day, scorer.config)
    run.fill_intervals(draws)
    pdt.assert_frame_equal(live, _frame(run), check_exact=True)
    changed = scorer.changes()
    pdt.assert_frame_equal(changed.reset_index(drop=True), live.reset_index(drop=True), check_exact=True)
    # refit(): new draws from every row, equal to a fresh score() of the union, intervals included
    scorer.refit()
    assert scorer._scorer.interval_draws != draws
    pdt.assert_frame_equal(scorer.scores(), rapport.score(**union, as_of=scorer.as_of, config=cfg), check_exact=True)


def _csv_floats(text):
    return np.array([float(v) if v != "" else np.nan for v in text], dtype=float)


def test_db_out_table_and_history_table_carry_the_intervals(cli, base_dir, tmp_path):
    from test_db import csv_to_sqlite

    db = tmp_path / "crm.db"
    csv_to_sqlite(base_dir, db)
    (tmp_path / "cfg.json").write_text('{"value_model": "pareto_nbd"}')
    opts = ["--intervals", "0.9", "--interval-draws", "40", "--config", str(tmp_path / "cfg.json"), "--quiet"]
    p = subprocess.run([cli, "score", "--db", f"sqlite:{db}", "--out-table", "scores", "--history-table", "history",
                        "--out", str(tmp_path / "s.csv")] + opts, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    csv = pd.read_csv(tmp_path / "s.csv", dtype=str, keep_default_na=False)  # the cells' text: float() is exact
    con = sqlite3.connect(db)
    names = [r[1] for r in con.execute("PRAGMA table_info(scores)")]
    assert names[-6:] == IV
    got = pd.read_sql_query(f"SELECT customer_id, {', '.join(IV)} FROM scores", con).set_index("customer_id")
    hist = pd.read_sql_query(f"SELECT customer_id, {', '.join(IV)} FROM history", con).set_index("customer_id")
    con.close()
    assert len(got) == len(csv) and len(hist) == len(csv)
    for c in IV:
        want = _csv_floats(csv[c])
        assert np.array_equal(got.loc[csv["customer_id"], c].to_numpy(dtype=float), want, equal_nan=True), c
        assert np.array_equal(hist.loc[csv["customer_id"], c].to_numpy(dtype=float), want, equal_nan=True), c
    assert np.isfinite(_csv_floats(csv["p_alive_lo"])).sum() > 100


@needs_pg
def test_postgres_out_table_and_history_table_carry_the_intervals(cli, base_dir, tmp_path, pg_schema):
    pg, schema = pg_schema
    p = run(cli, "import", base_dir, "--db", PG_URI, "--tables", tables_option(schema))
    assert p.returncode == 0, p.stderr
    p = run(cli, "score", "--db", PG_URI, "--tables", tables_option(schema), "--out-table", f"{schema}.s",
            "--history-table", f"{schema}.h", "--out", tmp_path / "s.csv", "--intervals", "0.9", "--interval-draws",
            "40", "--quiet")
    assert p.returncode == 0, p.stderr
    csv = pd.read_csv(tmp_path / "s.csv", dtype=str, keep_default_na=False).set_index("customer_id")
    assert np.isfinite(_csv_floats(csv["expected_value_hi"])).sum() > 100
    for table in ("s", "h"):
        rows = pg.exec(f"SELECT customer_id, {', '.join(c + '::text' for c in IV)} FROM {schema}.{table}")
        assert len(rows) == len(csv)
        for row in rows:  # float8's text is the shortest round trip: float() gives the stored bits
            got = _csv_floats(row[1:])
            assert np.array_equal(got, _csv_floats(csv.loc[row[0], IV]), equal_nan=True), (table, row)
