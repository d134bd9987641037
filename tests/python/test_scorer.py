"""rapport.Scorer: live batches of DataFrame rows equal a fresh rapport.score of everything."""
import threading

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
    scorer = rapport.Scorer(frames["customers"].iloc[:50])
    contacts = frames["contacts"].iloc[:2].copy()
    contacts["customer_id"] = ["nobody", frames["customers"]["customer_id"].iloc[0]]
    contacts["impression"] = [0, 7]
    with pytest.warns(rapport.RejectedRowsWarning):
        rejects = scorer.add(contacts=contacts)
    assert list(rejects["reason"]) == ["unknown customer", "impression out of range -2..2"]
    assert list(rejects["row"]) == [0, 1]
    assert list(rejects["column"]) == ["customer_id", "impression"]
    assert scorer.summary()["rows"]["contacts"] == {"accepted": 0, "read": 2, "rejected": 2}
    strict = rapport.Scorer(frames["customers"].iloc[:50], strict=True)
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
