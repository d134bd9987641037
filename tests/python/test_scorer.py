"""rapport.Scorer: live batches of DataFrame rows equal a fresh rapport.score of everything."""
import re
import threading
import warnings

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import rapport

from conftest import fresh


def split(frames, seed):
    """Half the rows of each table to start with, the rest in three batches; customers after
    the first 300 arrive late, each before its own contacts and purchases."""
    rng = np.random.default_rng(seed)
    cu = frames["customers"]
    early_ids = set(cu["customer_id"].iloc[:300])
    start = {"customers": cu.iloc[:300]}
    later = {"customers": cu.iloc[300:]}
    for t in ("contacts", "purchases", "referrals"):
        f = frames[t]
        keep = rng.random(len(f)) < 0.5
        if t != "referrals":
            keep &= f["customer_id"].isin(early_ids).to_numpy()
        start[t] = f[keep]
        later[t] = f[~keep]
    batches = []
    for k in range(3):
        b = {}
        for t, f in later.items():
            b[t] = f.iloc[k * len(f) // 3:(k + 1) * len(f) // 3]
        batches.append(b)
    return start, batches


def fresh_score(parts, scorer):
    tables = {t: pd.concat([p[t] for p in parts], ignore_index=True) for t in parts[0]}
    return rapport.score(**tables, as_of=scorer.as_of, config=scorer.config)


def test_batches_equal_fresh_score(tables_str):
    frames = fresh(tables_str)
    start, batches = split(frames, 1)
    scorer = rapport.Scorer(**start)
    parts = [start]
    # late customers' contacts need their customers first: add each batch's customers with the
    # batch, and the batches in order, so every customer precedes its rows
    all_late = pd.concat([b["customers"] for b in batches])
    for k, b in enumerate(batches):
        if k == 0:
            b = dict(b, customers=all_late)
            for later in batches[1:]:
                later["customers"] = later["customers"].iloc[0:0]
        rejects = scorer.add(**b)
        assert len(rejects) == 0
        parts.append(b)
        live = scorer.scores()
        pdt.assert_frame_equal(live, fresh_score(parts, scorer), check_exact=True)
        assert 0 < scorer.rescored <= len(live)
    assert scorer.scores().shape[0] == len(live)
    assert scorer.rescored == 0  # nothing new since the last call

    scorer.refit()
    tables = {t: pd.concat([p[t] for p in parts], ignore_index=True) for t in parts[0]}
    pdt.assert_frame_equal(scorer.scores(), rapport.score(**tables, as_of=scorer.as_of), check_exact=True)


def test_rejects_reported_like_load(tables_str):
    frames = fresh(tables_str)
    scorer = rapport.Scorer(frames["customers"].iloc[:50], max_pending_rows=0)  # holds nothing
    contacts = frames["contacts"].iloc[:2].copy()
    contacts["customer_id"] = ["nobody", frames["customers"]["customer_id"].iloc[0]]
    contacts["impression"] = [0, 7]
    with pytest.warns(rapport.RejectedRowsWarning):
        rejects = scorer.add(contacts=contacts)
    assert list(rejects["reason"]) == ["unknown customer", "impression out of range -2..2"]
    assert list(rejects["row"]) == [0, 1]
    assert list(rejects["column"]) == ["customer_id", "impression"]
    assert scorer.summary()["rows"]["contacts"] == {"accepted": 0, "read": 2, "rejected": 2, "pending": 0}
    strict = rapport.Scorer(frames["customers"].iloc[:50], strict=True, max_pending_rows=0)
    with pytest.raises(rapport.DataError):
        strict.add(contacts=contacts)


def test_explain_and_as_of(tables_str):
    frames = fresh(tables_str)
    scorer = rapport.Scorer(**frames)
    first = scorer.scores()["customer_id"].iloc[0]
    assert scorer.explain(first) == scorer.explain(0)
    with pytest.raises(IndexError):
        scorer.explain("nobody")
    day = scorer.as_of - pd.Timedelta(days=100).to_pytimedelta()
    scorer.as_of = day
    expected = rapport.score(**frames, as_of=day, config=scorer.config)
    pdt.assert_frame_equal(scorer.scores(), expected, check_exact=True)


def test_add_while_scoring_from_threads(tables_str):
    frames = fresh(tables_str)
    start, batches = split(frames, 2)
    scorer = rapport.Scorer(**dict(start, customers=frames["customers"]))
    parts = [dict(start, customers=frames["customers"])]
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            assert len(scorer.scores()) > 0

    t = threading.Thread(target=reader)
    t.start()
    for b in batches:
        b = dict(b, customers=b["customers"].iloc[0:0])
        scorer.add(**b)
        parts.append(b)
    stop.set()
    t.join()
    pdt.assert_frame_equal(scorer.scores(), fresh_score(parts, scorer), check_exact=True)


# ------------------------------------------------------------------ rows in any order (issue 21 item 11)


def permuted_batches(frames, rng, customers=90):
    """The rows of the first `customers` customers (and every referral among them), all four
    tables mixed into one random order, cut into random batches of 1..120 rows."""
    cu = frames["customers"].iloc[:customers]
    ids = set(cu["customer_id"])
    tables = {"customers": cu}
    for t in ("contacts", "purchases"):
        f = frames[t]
        tables[t] = f[f["customer_id"].isin(ids)]
    re = frames["referrals"]
    tables["referrals"] = re[re["referrer_id"].isin(ids) | re["referred_id"].isin(ids)]
    events = [(t, i) for t in tables for i in range(len(tables[t]))]
    order = rng.permutation(len(events))
    batches, at = [], 0
    while at < len(order):
        n = int(rng.integers(1, 121))
        if at == 0:  # the first batch (the starting base) has a customer
            first_customer = next(k for k in range(len(order)) if events[order[k]][0] == "customers")
            order[[0, first_customer]] = order[[first_customer, 0]]
        picked = [events[k] for k in order[at:at + n]]
        batches.append({t: tables[t].iloc[[i for (tt, i) in picked if tt == t]] for t in tables})
        at += n
    return batches


def full_run(parts, scorer):
    """rapport.score and rapport.summary of every row added so far, in the order added."""
    tables = {t: pd.concat([p[t] for p in parts], ignore_index=True) for t in parts[0]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rapport.RejectedRowsWarning)
        base = rapport.load(**tables)
    return rapport.score(base, as_of=scorer.as_of, config=scorer.config), rapport.summary(
        base, as_of=scorer.as_of, config=scorer.config)


@pytest.mark.parametrize("seed", range(6))
def test_item11_rows_in_any_order_equal_a_full_run(tables_str, seed):
    frames = fresh(tables_str)
    rng = np.random.default_rng(seed)
    batches = permuted_batches(frames, rng)
    # the starting base: the customers of the first batch alone; its other rows are the first add
    first = batches[0]
    scorer = rapport.Scorer(first["customers"], as_of="2026-06-30",
                            config=rapport.ScoringConfig(bgnbd={"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 3.0},
                                                         gamma_gamma={"p": 6.0, "q": 4.0, "gamma": 15.0}))
    parts = [first]
    for k, b in enumerate([dict(first, customers=first["customers"].iloc[0:0])] + batches[1:]):
        rejects = scorer.add(**b)
        assert len(rejects) == 0
        if k:
            parts.append(b)
        expected, summary = full_run(parts, scorer)
        changed = scorer.changes()
        rescored = scorer.rescored
        live = scorer.scores()
        pdt.assert_frame_equal(live, expected, check_exact=True)
        # held rows are the full run's rejected unknown-customer rows
        got = scorer.summary()
        for t in ("contacts", "purchases"):
            assert got["rows"][t]["pending"] == scorer.pending[t]
            assert got["rows"][t]["rejected"] == summary["rows"][t]["rejected"] == scorer.pending[t]
            assert got["rows"][t]["read"] == summary["rows"][t]["read"]
        assert got["rejected_by_reason"] == summary["rejected_by_reason"]
        # changes(): only the rescored rows, equal to their rows in scores()
        assert len(changed) == (len(live) if k == 0 else rescored)
        mine = live[live["customer_id"].isin(changed["customer_id"])].reset_index(drop=True)
        pdt.assert_frame_equal(changed.reset_index(drop=True), mine, check_exact=True)
    assert scorer.pending == {"contacts": 0, "purchases": 0}


def test_item11_pending_bound_and_options(tables_str):
    frames = fresh(tables_str)
    cu = frames["customers"]
    late = cu["customer_id"].iloc[60]
    co = frames["contacts"]
    mine = co[co["customer_id"] == late]
    assert len(mine) >= 3
    scorer = rapport.Scorer(cu.iloc[:50], as_of="2026-06-30", max_pending_rows=2)
    with pytest.warns(rapport.RejectedRowsWarning):
        rejects = scorer.add(contacts=mine.iloc[:3])
    assert list(rejects["reason"]) == ["unknown customer (not held: max_pending_rows reached)"]
    assert scorer.pending == {"contacts": 2, "purchases": 0}
    scorer.add(customers=cu[cu["customer_id"] == late])
    assert scorer.pending == {"contacts": 0, "purchases": 0}
    assert len(scorer.changes()) == 51 and scorer.rescored == 1  # the first call: every row
    for bad, why in ((-1, "must be an integer in [0, 4294967295] (got -1)"), (2.5, "(got 2.5)"),
                     (True, "expects an integer (got boolean)"), (2**32, "(got 4294967296)")):
        with pytest.raises(rapport.ConfigError, match=re.escape(why)):
            rapport.Scorer(cu.iloc[:50], max_pending_rows=bad)


def test_changes_and_write_back_upsert_only_the_rescored_rows(tables_str, tmp_path):
    import sqlite3

    frames = fresh(tables_str)
    co = frames["contacts"]
    scorer = rapport.Scorer(frames["customers"], co.iloc[:2000], frames["purchases"], frames["referrals"])
    db = f"sqlite:{tmp_path / 'live.db'}"
    assert scorer.write_changes(db) == len(scorer.scores())  # the first write: every row
    assert scorer.write_changes(db) == 0
    batch = co.iloc[2000:2200]
    scorer.add(contacts=batch)
    written = scorer.write_changes(db, "scores")
    touched = set(batch["customer_id"])
    assert 0 < written <= len(touched)
    with sqlite3.connect(tmp_path / "live.db") as con:
        table = pd.read_sql_query("select * from scores", con)
    assert len(table) == len(scorer.scores())  # one row per customer
    live = scorer.scores().set_index("customer_id")
    t = table.set_index("customer_id").loc[live.index]
    for col in ("loyalty_given", "referral_potential", "upserve_value", "katz"):
        np.testing.assert_array_equal(t[col].to_numpy(float), live[col].to_numpy(float))
    # a failed write keeps the change set for the next one
    scorer.add(contacts=co.iloc[2200:2300])
    with pytest.raises(rapport.ConfigError):
        scorer.write_changes(db, "not a table")
    kept = scorer.rescored  # applied by the failed call, still in the change set
    assert kept > 0 and scorer.write_changes(db) == kept


# ------------------------------------------------------------------ history and Dask inputs in any order


def shuffled(frames, seed):
    """Every table's rows in a random order (a contact may come long before its customer)."""
    rng = np.random.default_rng(seed)
    return {t: f.iloc[rng.permutation(len(f))].reset_index(drop=True) for t, f in frames.items()}


def test_item11_history_inputs_in_any_order_lose_no_row(tables_str):
    frames = shuffled(fresh(tables_str), 5)
    dates = ["2025-12-31", "2026-06-30"]
    h = rapport.history(**frames, as_of=dates)
    for d in dates:
        expected = rapport.score(**frames, as_of=d)
        got = h[h["as_of"] == pd.Timestamp(d).date()].drop(columns="as_of").reset_index(drop=True)
        got.attrs = expected.attrs
        pdt.assert_frame_equal(got, expected, check_exact=True)
    summary = rapport.summary(rapport.load(**frames))
    for t in frames:
        assert summary["rows"][t]["accepted"] == len(frames[t])  # nothing lost to the order
