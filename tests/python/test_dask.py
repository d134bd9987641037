"""rapport.dask: scoring dask DataFrames on a distributed LocalCluster equals rapport.score.

The cluster has three worker processes (one thread each), so partitions really are scored in
other processes and every stage's data crosses process boundaries as it would on a cluster.
"""

import os
import pickle
import subprocess
import time

import numpy as np
import pandas as pd
import pytest

import rapport

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
import rapport.dask as rdask  # noqa: E402  (needs dask)

TABLES = ("customers", "contacts", "purchases", "referrals")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=3, processes=True, threads_per_worker=1, dashboard_address=None,
                                       memory_limit="1GiB")
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def text_frames(tmp_path, customers=600, seed=11):
    """A generated base as CSV text (every field a string), with bad rows of every kind added."""
    rapport.generate_csv(tmp_path, customers, seed=seed)
    fr = {t: pd.read_csv(tmp_path / f"{t}.csv", dtype=str, keep_default_na=False) for t in TABLES}
    cu, co, pu, re = (fr[t] for t in TABLES)
    first = cu.iloc[0]
    fr["customers"] = pd.concat([cu, pd.DataFrame([
        {**first, "acquired_on": "2020-01-01"},               # duplicate key (first row wins)
        {**first, "customer_id": "bad-date", "acquired_on": "2020-02-30"},
        {**first, "customer_id": "", "acquired_on": "2020-01-01"},
    ])], ignore_index=True)
    c0 = co.iloc[0]
    fr["contacts"] = pd.concat([co.iloc[:50], pd.DataFrame([
        {**c0, "customer_id": "nobody"},                      # unknown customer
        {**c0, "impression": "7"},                            # out of range
        {**c0, "customer_id": "bad-date"},                    # customer rejected above
    ]), co.iloc[50:]], ignore_index=True)
    p0 = pu.iloc[0]
    fr["purchases"] = pd.concat([pu, pd.DataFrame([{**p0, "amount": "-3"}, {**p0, "at": "yesterday"}])],
                                ignore_index=True)
    r0 = re.iloc[0]
    fr["referrals"] = pd.concat([pd.DataFrame([{**r0, "referred_id": r0["referrer_id"]}]), re], ignore_index=True)
    return fr


def unaligned(fr, parts=(7, 11, 5, 3)):
    """Each table cut into its own number of partitions, so a customer's rows are spread out."""
    return [dd.from_pandas(fr[t], npartitions=n, sort=False) for t, n in zip(TABLES, parts)]


def assert_same_scores(one, dist):
    assert list(dist.columns) == list(one.columns)
    a = one.sort_values("customer_id").reset_index(drop=True)
    b = dist.sort_values("customer_id").reset_index(drop=True)
    assert len(a) == len(b)
    for col in a.columns:
        x, y = a[col].to_numpy(), b[col].to_numpy()
        if a[col].dtype.kind == "f":
            assert np.array_equal(np.isnan(x), np.isnan(y)), col
            ok = ~np.isnan(x)
            np.testing.assert_allclose(y[ok], x[ok], rtol=1e-12, atol=0, err_msg=col)
        else:
            assert a[col].dtype == b[col].dtype, col
            assert (x == y).all(), col


# Figures that depend on the value models' parameters: the client's fit may differ from one
# machine's in its last digit (the same rows in another order), so these agree to 1e-12 relative.
# Every other figure comes from the same C++ summary parts and is equal bit for bit.
_MODEL_DEPENDENT = ("bgnbd", "gamma_gamma", "value", "per_value_decile", "top_decile_gap")


def assert_same_summary(one, dist, path="summary", exact=True):
    """Key by key: the same keys, equal integers, strings and nulls, equal floats (within 1e-12
    relative under the model-dependent keys)."""
    if isinstance(one, dict):
        assert isinstance(dist, dict) and sorted(dist) == sorted(one), (path, sorted(one), sorted(dist))
        for k in one:
            assert_same_summary(one[k], dist[k], f"{path}.{k}", exact and k not in _MODEL_DEPENDENT)
    elif isinstance(one, list):
        assert isinstance(dist, list) and len(dist) == len(one), path
        for k, (a, b) in enumerate(zip(one, dist)):
            assert_same_summary(a, b, f"{path}[{k}]", exact)
    elif isinstance(one, float) and not exact:
        assert isinstance(dist, (int, float)) and dist == pytest.approx(one, rel=1e-12, abs=0), (path, one, dist)
    else:
        assert type(dist) is type(one) and dist == one, (path, one, dist)


def test_dask_score_equals_one_machine(client, tmp_path):
    fr = text_frames(tmp_path)
    with pytest.warns(rapport.RejectedRowsWarning):
        base = rapport.load(*(fr[t] for t in TABLES))
    one = rapport.score(base)
    run = rdask.score_run(*unaligned(fr), npartitions=6)
    dist = run.scores.compute()
    assert_same_scores(one, dist)
    assert run.as_of == one.attrs["as_of"]
    for k in ("r", "alpha", "a", "b"):
        assert run.bgnbd[k] == pytest.approx(one.attrs["bgnbd"][k], rel=1e-12)
    # rejects: the same rows, numbered as one machine numbers them
    rej_one = base.rejects_frame().sort_values(["table", "row"]).reset_index(drop=True)
    rej = run.rejects.compute().sort_values(["table", "row"]).reset_index(drop=True)
    assert base.rejected == 9 == len(rej)
    pd.testing.assert_frame_equal(rej[["table", "row", "column", "reason"]], rej_one[["table", "row", "column", "reason"]],
                                  check_dtype=False)
    assert sum(bad for _, bad in run.counts.values()) == base.rejected
    # the whole base-wide summary, bad rows included (rejected_by_reason, rows)
    one_summary = rapport.summary(base)
    dist_summary = rdask.summary(run)
    assert one_summary["critical_wheel"]["sales_stage_contacts"] > 0 and one_summary["referrals"]["converted_referrals"] > 0
    assert len(one_summary["loyalty_given"]["per_value_decile"]) == 10 and sum(one_summary["rejected_by_reason"].values()) == 9
    assert_same_summary(one_summary, dist_summary)


def test_dask_score_given_as_of_and_config(client, tmp_path):
    fr = text_frames(tmp_path, customers=300, seed=5)
    cfg = rapport.ScoringConfig(half_life_days=90, gamma_gamma={"p": 2.0, "q": 3.0, "gamma": 10.0})
    with pytest.warns(rapport.RejectedRowsWarning):
        one = rapport.score(*(fr[t] for t in TABLES), as_of="2025-12-31", config=cfg)
    dist = rdask.score(*unaligned(fr, (4, 9, 2, 5)), as_of="2025-12-31", config=cfg).compute()
    assert_same_scores(one, dist)


def test_dask_value_models_unavailable(client, tmp_path):
    # 8 customers: fewer than the fit's 10, so value at stake is unknown on both sides (NaN)
    rapport.generate_csv(tmp_path, 8, seed=2)
    fr = {t: pd.read_csv(tmp_path / f"{t}.csv", dtype=str, keep_default_na=False) for t in TABLES}
    with pytest.warns(rapport.ValueModelWarning):
        one = rapport.score(*(fr[t] for t in TABLES))
    run = rdask.score_run(*unaligned(fr, (3, 4, 2, 1)), npartitions=3)
    dist = run.scores.compute()
    assert dist["upserve_score"].isna().all() and dist["p_alive"].isna().all()
    assert "at least 10 required" in run.bgnbd["error"]
    assert_same_scores(one, dist)
    with pytest.warns(rapport.ValueModelWarning):
        one_summary = rapport.summary(*(fr[t] for t in TABLES))
    assert "per_value_decile" not in one_summary["loyalty_given"] and one_summary["value"]["expected_value_total"] is None
    assert_same_summary(one_summary, rdask.summary(run))


def test_dask_read_csv_and_summary(client, tmp_path):
    rapport.generate_csv(tmp_path, 200, seed=8)
    tables = rdask.read_csv(str(tmp_path), blocksize=20_000)
    assert tables["contacts"].npartitions > 1
    run = rdask.score_run(*(tables[t] for t in TABLES))
    one = rapport.score_dir(tmp_path)
    assert_same_scores(one, run.scores.compute())
    s = rdask.summary(run)
    one_summary = rapport.summary(rapport.load_dir(tmp_path))
    assert s["customers_scored"] == one_summary["customers_scored"] == len(one)
    assert_same_summary(one_summary, s)


def test_score_partition_checks_referral_sizes():
    base = rapport.generate(20, seed=1, referral_share=0.0, prospect_referrals=0.0)
    frames = base.to_frames()
    part = rapport.load(frames["customers"], frames["contacts"], frames["purchases"])
    given = {c: np.zeros(3, dtype=np.uint32) for c in ("generation", "tree_size", "direct_referrals", "converted_referrals")}
    given.update(katz=np.zeros(3), track_record_weight=np.zeros(3), root_id=["a", "b", "c"])
    with pytest.raises(rapport.InputError, match="3 entries for 20 customers"):
        rapport._rapport._score_partition(part, 20000, rapport.ScoringConfig(), given)


def _mid_ranks(values):
    """The up-serve percentile by its definition: 100 (#less + (#equal - 1)/2) / (n - 1), 50 when n = 1."""
    allv = np.concatenate(values)
    if len(allv) == 1:
        return [np.full(len(v), 50.0) for v in values]
    return [np.array([100.0 * ((allv < x).sum() + ((allv == x).sum() - 1) / 2.0) / (len(allv) - 1) for x in v])
            for v in values]


# Five partitions, one empty, values 0..6 with ties spread over every partition (so the buckets'
# bounds fall on tied values), plus -0.0 beside +0.0: the ranks wired through dask equal the
# definition (the tasks run on the cluster's workers); then one value alone over empty
# partitions is 50.
def test_rank_tasks_equal_the_definition_with_ties_and_empty_partitions(client):
    rng = np.random.default_rng(5)
    parts = [rng.integers(0, 7, size=n).astype(float) for n in (40, 0, 25, 60, 3)]
    parts[2][0] = -0.0
    got = dask.compute(*rdask._rank([dask.delayed(p) for p in parts], len(parts)))
    for g, e in zip(got, _mid_ranks(parts)):
        np.testing.assert_array_equal(g, e)
    alone = [np.empty(0), np.array([2.5]), np.empty(0)]
    one = dask.compute(*rdask._rank([dask.delayed(p) for p in alone], 3))
    assert [list(o) for o in one] == [[], [50.0], []]


def test_item11_dask_inputs_in_any_order_lose_no_row(client, tmp_path):
    """Every table's rows shuffled (a customer's contacts in partitions before its own), each
    table cut into its own partitions: the same scores and accepted rows as one machine."""
    rapport.generate_csv(tmp_path, 300, seed=21)
    rng = np.random.default_rng(21)
    fr = {}
    for t in TABLES:
        f = pd.read_csv(tmp_path / f"{t}.csv", dtype=str, keep_default_na=False)
        fr[t] = f.iloc[rng.permutation(len(f))].reset_index(drop=True)
    one = rapport.score(*(fr[t] for t in TABLES))
    run = rdask.score_run(*unaligned(fr, (5, 9, 4, 2)), npartitions=4)
    assert_same_scores(one, run.scores.compute())
    assert sum(bad for _, bad in run.counts.values()) == 0
    assert sum(read for read, _ in run.counts.values()) == sum(len(fr[t]) for t in TABLES)


def test_dask_ended_on_and_discount_equal_one_machine(client, tmp_path):
    """ended_on (known-lost customers) and discount_rate on a cluster: BG/NBD is fitted once from
    the gathered histories, each partition zeroes its lost customers and discounts with it."""
    fr = text_frames(tmp_path, customers=400, seed=5)
    cu = fr["customers"]
    ended = (pd.to_datetime(cu["acquired_on"], errors="coerce") + pd.Timedelta(days=150)).dt.strftime("%Y-%m-%d")
    cu["ended_on"] = np.where(np.arange(len(cu)) % 5 == 1, ended.fillna(""), "")
    cfg = {"discount_rate": 0.15}
    with pytest.warns(rapport.RejectedRowsWarning):
        base = rapport.load(*(fr[t] for t in TABLES))
    one = rapport.score(base, config=cfg)
    as_of = one.attrs["as_of"].isoformat()
    lost = one[one["customer_id"].isin(set(cu["customer_id"][(cu["ended_on"] != "") & (cu["ended_on"] <= as_of)]))]
    assert len(lost) > 40 and (lost["p_alive"].fillna(0) == 0).all()
    dist = rdask.score(*unaligned(fr), npartitions=4, config=cfg).compute()
    assert_same_scores(one, dist)


def _one_and_dask(fr, cfg, parts=(7, 11, 5, 3), npartitions=5):
    """(scores, summary) of one machine and of the cluster for the same rows and config."""
    with pytest.warns(rapport.RejectedRowsWarning):
        base = rapport.load(*(fr[t] for t in TABLES))
    one = rapport.score(base, config=cfg)
    one_summary = rapport.summary(base, config=cfg)
    run = rdask.score_run(*unaligned(fr, parts), npartitions=npartitions, config=cfg)
    return one, one_summary, run, run.scores.compute(), rdask.summary(run)


@pytest.mark.parametrize("cfg", [{"value_model": "pareto_nbd"}, {"value_model": "mbgnbd"},
                                 {"value_model": "bgbb", "opportunity_days": 30},
                                 {"value_model": "pareto_nbd", "discount_rate": 0.1},
                                 {"penalizer": 0.01}],
                         ids=["pareto_nbd", "mbgnbd", "bgbb", "pareto_nbd_discounted", "bgnbd_penalized"])
def test_dask_every_value_model_equals_one_machine(client, tmp_path, cfg):
    """Each partition sends its model inputs merged into distinct rows with customer counts; the
    client merges them again and fits once through the one weighted fit, as one machine fits its
    own merged rows: the same parameters bit for bit, so the same scores and summary."""
    fr = text_frames(tmp_path, customers=500, seed=3)
    one, one_summary, run, dist, dist_summary = _one_and_dask(fr, cfg)
    model = cfg.get("value_model", "bgnbd")
    assert run.purchase_model == model
    assert one["p_alive"].notna().sum() > 100 and one["expected_value"].notna().sum() > 100
    assert_same_scores(one, dist)
    for col in ("p_alive", "expected_purchases", "expected_value", "upserve_value", "upserve_score"):
        a = one.sort_values("customer_id")[col].to_numpy()
        b = dist.sort_values("customer_id")[col].to_numpy()
        assert np.array_equal(a, b, equal_nan=True), col  # bit for bit, not only within 1e-12
    if model != "bgnbd":
        pm = one_summary["purchase_model"]
        assert pm["name"] == model and pm["fitted"] and pm["customers"] > 100
        assert pm["std_errors"] == dist_summary["purchase_model"]["std_errors"]
    assert_same_summary(one_summary, dist_summary)


def test_dask_sbg_on_contracts_equals_one_machine(client, tmp_path):
    """sBG on ended_on data: every scored customer's (periods, ended) merged per partition."""
    fr = text_frames(tmp_path, customers=400, seed=9)
    cu = fr["customers"]
    ended = (pd.to_datetime(cu["acquired_on"], errors="coerce") + pd.Timedelta(days=200)).dt.strftime("%Y-%m-%d")
    cu["ended_on"] = np.where(np.arange(len(cu)) % 3 == 1, ended.fillna(""), "")
    for cfg in ({"value_model": "sbg", "contract_period_days": 30}, {"value_model": "auto"}):
        one, one_summary, run, dist, dist_summary = _one_and_dask(fr, cfg)
        assert run.purchase_model == "sbg" and one_summary["purchase_model"]["name"] == "sbg"
        assert_same_scores(one, dist)
        assert np.array_equal(one.sort_values("customer_id")["p_alive"].to_numpy(),
                              dist.sort_values("customer_id")["p_alive"].to_numpy(), equal_nan=True)
        assert_same_summary(one_summary, dist_summary)


@pytest.mark.parametrize("opportunity_days", [None, 30])
def test_dask_auto_chooses_as_one_machine(client, tmp_path, opportunity_days):
    """auto: the partitions' spans give the holdout cut, their calibration rows and holdout
    repeat purchases race the candidates on the client; the choice and every candidate's holdout
    figures land in the summary exactly as one machine's, and the winner scores the partitions."""
    fr = text_frames(tmp_path, customers=600, seed=13)
    cfg = {"value_model": "auto"} if opportunity_days is None else {"value_model": "auto", "opportunity_days": 30}
    one, one_summary, run, dist, dist_summary = _one_and_dask(fr, cfg, npartitions=4)
    sel = one_summary["model_selection"]
    names = [c["name"] for c in sel["candidates"]]
    assert names == ["bgnbd", "pareto_nbd", "mbgnbd"] + ([] if opportunity_days is None else ["bgbb"])
    assert sel["holdout_days"] > 0 and all(c["fitted"] for c in sel["candidates"])
    winner = one_summary["purchase_model"]["name"]
    assert run.purchase_model == winner and winner in names
    assert dist_summary["model_selection"] == sel  # every holdout figure bit for bit
    assert_same_scores(one, dist)
    assert_same_summary(one_summary, dist_summary)




def _quoted_base(tmp_path, customers=120, seed=4, stray_quote=False):
    """A generated base rewritten with quoted fields: segments holding commas, doubled quotes and
    line breaks (a record over several physical lines), quoted customer ids in contacts, a bad
    row; with ``stray_quote`` a '"' inside an unquoted contacts field."""
    rapport.generate_csv(tmp_path, customers, seed=seed)
    cu = (tmp_path / "customers.csv").read_text().splitlines()
    out = [cu[0]]
    for k, line in enumerate(cu[1:]):
        cid, day, seg = line.split(",")
        if k % 3 == 0:
            seg = '"%s,\nline ""two""\n"' % seg  # 3 physical lines, a comma and doubled quotes
        out.append(f"{cid},{day},{seg}")
    out.insert(5, "C-bad,2020-02-30,retail")  # rejected: no such date
    (tmp_path / "customers.csv").write_text("\n".join(out) + "\n")
    co = (tmp_path / "contacts.csv").read_text().splitlines()
    co = [co[0]] + ['"%s"%s' % (r.split(",", 1)[0], r[r.index(","):]) if k % 4 == 0 else r for k, r in enumerate(co[1:])]
    if stray_quote:
        co[7] = co[7].replace("T", 'T"', 1)  # a quote inside an unquoted field: read literally (and rejected)
    (tmp_path / "contacts.csv").write_text("\n".join(co) + "\n")


def _cut_table(table, parts):
    """A CsvTable read as score_run reads it, in this process: (infos, merged pieces per partition)."""
    with dask.config.set(scheduler="sync"):
        inputs, offsets = rdask._cut_inputs({table.table: table}, parts)
        got = inputs[table.table]
        merged = dask.compute(*[dask.delayed(rdask._merged)(got.piece(k), offsets[table.table]) for k in range(parts)])
    return got.infos, list(merged)


def test_read_csv_cuts_inside_quoted_fields_as_one_range(tmp_path):
    """Cut at every block size from 1 byte up, the ranges together hold exactly the records of one
    range per file: the same raw bytes, global rows and physical lines in every partition, the
    cuts falling inside quoted fields and their line breaks included."""
    _quoted_base(tmp_path, customers=12)
    whole = rdask.read_csv(str(tmp_path), blocksize=None)["customers"]
    assert whole.npartitions == 1
    infos, expected = _cut_table(whole, 3)
    # hand-checked: 12 customers + 1 bad row; customer 0's segment spans lines 2-4, so customer 1 is on line 5
    assert infos[0][:2] == (13, True)
    rows = np.concatenate([m[:, 0] for _, m in expected])
    lines = dict(zip(np.concatenate([m[:, 0] for _, m in expected]), np.concatenate([m[:, 1] for _, m in expected])))
    assert sorted(rows) == list(range(13)) and lines[0] == 2 and lines[1] == 5
    size = (tmp_path / "customers.csv").stat().st_size
    for blocksize in list(range(1, 80)) + [size // 3, size]:
        table = rdask.read_csv(str(tmp_path), blocksize=blocksize)["customers"]
        infos, got = _cut_table(table, 3)
        assert all(info[1] for info in infos), blocksize
        assert all(a[3] == b[2] for a, b in zip(infos, infos[1:])), blocksize  # ranges meet end to start
        for (d1, m1), (d2, m2) in zip(expected, got):
            assert np.array_equal(d1, d2) and np.array_equal(m1, m2), blocksize


def test_read_csv_stray_quote_flags_the_cut(tmp_path):
    """A '"' inside an unquoted field breaks the quote-parity rule the cuts are placed by: the range
    holding it says so, and the table is read one range per file instead."""
    _quoted_base(tmp_path, customers=12, stray_quote=True)
    table = rdask.read_csv(str(tmp_path), blocksize=64)["contacts"]
    with dask.config.set(scheduler="sync"):
        _, infos = rdask._run_cuts(rdask._csv_cuts(table, 2))
    assert not all(info[1] for info in infos)
    infos, _ = _cut_table(table, 2)
    assert len(infos) == 1 and infos[0][1] is False


@pytest.mark.parametrize("stray_quote", [False, True], ids=["quoted", "stray_quote"])
def test_dask_read_csv_quoted_equals_one_machine(client, tmp_path, stray_quote):
    """Tiny byte ranges cut inside quoted multi-line fields (and a stray quote, which makes its table
    read whole): the same scores, summary and rejects (rows and physical lines) as load_dir."""
    _quoted_base(tmp_path, stray_quote=stray_quote)
    base = rapport.load_dir(tmp_path)
    one = rapport.score(base)
    tables = rdask.read_csv(str(tmp_path), blocksize=700)
    assert tables["customers"].npartitions > 5
    run = rdask.score_run(*(tables[t] for t in TABLES), npartitions=3)
    assert_same_scores(one, run.scores.compute())
    assert_same_summary(rapport.summary(base), rdask.summary(run))
    rej_one = base.rejects_frame().sort_values(["table", "line"]).reset_index(drop=True)
    rej = run.rejects.compute().sort_values(["table", "line"]).reset_index(drop=True)
    assert len(rej) == len(rej_one) == 1 + stray_quote
    for col in ("table", "file", "line", "column", "reason", "raw"):
        assert list(rej[col]) == list(rej_one[col]), col
    # the bad row follows customers 0-3 (0 and 3 on three lines each): data row 4, line 10
    assert rej.loc[rej["table"] == "customers", ["row", "line"]].values.tolist() == [[4, 10]]


def test_partition_pickles_as_its_base(tmp_path):
    """What dask spills or moves — a pickled partition — is its base's typed columns and load
    report (not its CSV pieces, which the partition drops once loaded), read back without a parse
    and without the kept score run: scored again on the other side, the same scores, written CSV,
    rejects and summary part as before pickling."""
    rapport.generate_csv(tmp_path, 300, seed=5)
    with open(tmp_path / "customers.csv", "a") as f:
        f.write("C-bad,2024-02-30,retail\n")  # rejected: impossible date
    with open(tmp_path / "contacts.csv", "a") as f:
        f.write("nobody,2024-03-01,visit,welcome,business,wow,1,false,\n")  # rejected: unknown customer
    tables = rdask.read_csv(str(tmp_path), blocksize=None)
    routed = TABLES[:3]
    cut = {t: _cut_table(tables[t], 1 if t == "referrals" else 2)[1] for t in TABLES}
    names = [(tables[t].name, tables[t].header) for t in routed]
    csv = {t: True for t in TABLES}
    made = [rdask._make_partition(names, [[cut[t][k]] for t in routed], [([0], [0])] * 3, csv) for k in range(2)]
    day = max(load["as_of_day"] for _, load in made)
    cfg = rapport.ScoringConfig()
    refs = rdask._spec(tables["referrals"].name, tables["referrals"].header, cut["referrals"][0])
    forest = rdask._forest_stage(names[0], [load for _, load in made], refs, day, cfg, 2)
    run_json = cfg.to_json()
    rejected = 0
    for k, (part, load) in enumerate(made):
        frame = rdask._scores_frame(part, forest[k], day, run_json, None, None)
        rdask._write_stage(part, forest[k], day, run_json, None, None, str(tmp_path / f"before-{k}.csv"))
        summary_part = rdask._summary_stage(part, forest[k], load, day, run_json, None)
        assert part._runs  # the run is kept with the partition
        data = pickle.dumps(part)
        pieces = sum(len(cut[t][k][0]) + cut[t][k][1].nbytes for t in routed)
        assert len(data) < pieces / 2  # the typed columns, not the CSV bytes
        back = pickle.loads(data)
        assert not back._runs and len(back.base) == len(part.base) > 100
        assert dask.sizeof.sizeof(back) >= len(data)
        pd.testing.assert_frame_equal(back.base.rejects_frame(), part.base.rejects_frame())
        pd.testing.assert_frame_equal(rdask._scores_frame(back, forest[k], day, run_json, None, None), frame)
        assert back._runs  # scored again, once, and kept
        rdask._write_stage(back, forest[k], day, run_json, None, None, str(tmp_path / f"after-{k}.csv"))
        assert (tmp_path / f"after-{k}.csv").read_bytes() == (tmp_path / f"before-{k}.csv").read_bytes()
        assert rdask._summary_stage(back, forest[k], load, day, run_json, None) == summary_part
        assert back.base._to_bytes() == part.base._to_bytes()
        rejected += len(back.base.rejects_frame())
    assert rejected == 2  # the two bad rows, each in its customer's partition
    with pytest.raises(rapport.InputError, match="customer base bytes: truncated"):
        rapport._rapport._base_from_bytes(made[0][0].base._to_bytes()[:-3], True)


def test_base_from_bytes_reads_one_run_of_bytes(tmp_path):
    """_base_from_bytes reads its buffer as one run from its first byte: any C-contiguous byte
    buffer gives the base back; a strided view is refused (was read as if contiguous: a reversed
    view past its end, every other byte of data + data as data)."""
    rapport.generate_csv(tmp_path, 50, seed=3)
    data = rapport.load_dir(str(tmp_path))._to_bytes()
    for buf in (data, bytearray(data), memoryview(data), np.frombuffer(data, np.uint8), memoryview(b"xy" + data)[2:]):
        assert rapport._rapport._base_from_bytes(buf, False)._to_bytes() == data
    for buf in (memoryview(data)[::-1], memoryview(data + data)[::2], np.frombuffer(data + data, np.uint8)[::2],
                np.frombuffer(data + data, np.uint8).reshape(2, -1)):
        with pytest.raises(TypeError, match="_base_from_bytes: a C-contiguous 1-D byte buffer expected"):
            rapport._rapport._base_from_bytes(buf, False)


@pytest.mark.parametrize("cfg", [{"intervals": 0.9}, {"intervals": 0.8, "value_model": "pareto_nbd", "discount_rate": 0.1},
                                 {"intervals": 0.9, "value_model": "auto", "opportunity_days": 30},
                                 {"intervals": 0.9, "interval_method": "bootstrap", "interval_draws": 30}],
                         ids=["bgnbd", "pareto_nbd_discounted", "auto", "bootstrap"])
def test_dask_intervals_equal_one_machine(client, tmp_path, cfg):
    """Intervals in two steps: the client draws the parameters once from every partition's merged
    interval patterns (as one process draws them from its whole base's), each partition evaluates
    its rows under the draws: every _lo/_hi column equal to rapport.score's bit for bit."""
    fr = text_frames(tmp_path, customers=400, seed=17)
    one, _, run, dist, _ = _one_and_dask(fr, cfg, npartitions=3)
    cols = ["p_alive_lo", "p_alive_hi", "expected_purchases_lo", "expected_purchases_hi", "expected_value_lo",
            "expected_value_hi"]
    assert list(one.columns[-6:]) == cols and list(dist.columns) == list(one.columns)
    a = one.sort_values("customer_id").reset_index(drop=True)
    b = dist.sort_values("customer_id").reset_index(drop=True)
    buyers = a["p_alive"].notna()
    assert buyers.sum() > 100 and (a.loc[buyers, "p_alive_lo"] <= a.loc[buyers, "p_alive"]).all()
    assert (a.loc[buyers, "expected_value_hi"] > a.loc[buyers, "expected_value_lo"]).mean() > 0.9
    for col in cols:
        assert np.array_equal(a[col].to_numpy(), b[col].to_numpy(), equal_nan=True), col
    assert_same_scores(one, dist)


@pytest.mark.parametrize("cfg", [{}, {"intervals": 0.9}], ids=["plain", "intervals"])
def test_dask_to_csv_writes_the_cli_rows(client, cli, tmp_path, cfg):
    """DaskRun.to_csv writes one file per partition with rapport's own score writer: together the
    files hold exactly the lines of ``rapport score --out`` (global up-serve ranks, root ids of
    roots living in other partitions included), each file with the header."""
    data = tmp_path / "base"
    rapport.generate_csv(data, 400, seed=9)
    config = tmp_path / "config.json"
    config.write_text(rapport.ScoringConfig(**cfg).to_json())
    subprocess.run([cli, "score", str(data), "--config", str(config), "--out", str(tmp_path / "one.csv"), "--quiet"],
                   check=True, capture_output=True)
    one = (tmp_path / "one.csv").read_text().splitlines()
    tables = rdask.read_csv(str(data), blocksize=30_000)
    run = rdask.score_run(*(tables[t] for t in TABLES), npartitions=3, config=cfg)
    assert run.to_csv(str(tmp_path / "parts")) == len(one) - 1
    lines = []
    for k in range(3):
        text = (tmp_path / "parts" / f"part-{k:05d}.csv").read_text().splitlines()
        assert text[0] == one[0] and len(text) > 1
        lines += text[1:]
    assert sorted(lines) == sorted(one[1:])
    assert any(",C" in line.split(",", 1)[1] for line in lines)  # some root_id cells are filled


class _Placement(distributed.SchedulerPlugin):
    """Per task of a per-partition stage: the workers holding its partition when the scheduler
    sent it to a worker, the workers it was pinned to (and whether loosely), and the worker that
    ran it."""

    STAGES = ("pattern_stage", "score_stage", "scores_frame", "write_stage", "summary_stage")

    def __init__(self):
        self.scheduler, self.holders, self.ran = None, {}, []

    async def start(self, scheduler):
        self.scheduler = scheduler

    def transition(self, key, start, finish, *args, **kwargs):
        ts = self.scheduler.tasks.get(key)
        if ts is None or ts.prefix.name not in self.STAGES:
            return
        if finish == "processing":
            held = {ws.address for dep in ts.dependencies if (dep.type or "").endswith("._Partition")
                    for ws in dep.who_has}
            self.holders[key] = (held, set(ts.worker_restrictions or ()), bool(ts.loose_restrictions))
        elif finish == "memory" and key in self.holders:
            self.ran.append((ts.prefix.name, {ws.address for ws in ts.who_has}, *self.holders.pop(key)))


def test_dask_stages_run_where_the_partition_is_and_survive_a_killed_worker(tmp_path):
    """The per-partition tasks after score_run's persist run on the worker holding the partition
    (not moved to an idle worker), and a killed worker loses nothing: its partitions are
    recomputed elsewhere and the numbers are the same.

    One worker builds and scores every partition; a second, idle worker joins. Every
    write/summary/frame task is pinned, loosely, to the first (the worker holding its partition);
    where it ran is dask's choice (work stealing may still move a loosely pinned task to the idle
    worker: docs/dask.md), so that is not asserted. Then the first worker is killed (its nanny starts a
    fresh one): every partition is lost, and the same run still writes, summarises and scores
    the same rows (a loose pin: the tasks go to the living workers)."""
    data = tmp_path / "base"
    rapport.generate_csv(data, 600, seed=21)
    one = rapport.score_dir(data)
    one_summary = rapport.summary(rapport.load_dir(data))
    with distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None,
                                  memory_limit="1GiB") as cluster, distributed.Client(cluster) as c:
        c.register_scheduler_plugin(_Placement(), name="placement")
        placement = cluster.scheduler.plugins["placement"]
        [first] = c.scheduler_info()["workers"]
        tables = rdask.read_csv(str(data), blocksize=40_000)
        run = rdask.score_run(*(tables[t] for t in TABLES), npartitions=6)
        assert {w for _, (w,), *_ in placement.ran} == {first} and len(placement.ran) == 12  # pattern and score
        cluster.scale(2)
        c.wait_for_workers(2)
        placement.ran.clear()
        assert run.to_csv(str(tmp_path / "parts")) == len(one)
        assert_same_summary(one_summary, rdask.summary(run))
        assert_same_scores(one, run.scores.compute())
        stages = sorted(name for name, *_ in placement.ran)
        assert stages == ["scores_frame"] * 6 + ["summary_stage"] * 6 + ["write_stage"] * 6
        for name, ran, held, pinned, loose in placement.ran:
            assert held == pinned == {first} and loose, (name, ran, held, pinned, loose)
        written = sorted(line for k in range(6) for line in (tmp_path / "parts" / f"part-{k:05d}.csv").read_text().splitlines()[1:])

        try:
            c.run(os._exit, 1, workers=[first])
        except (OSError, distributed.comm.CommClosedError):  # the worker died before it answered
            pass
        for _ in range(300):
            if first not in c.scheduler_info()["workers"]:
                break
            time.sleep(0.1)
        assert first not in c.scheduler_info()["workers"]
        assert run.to_csv(str(tmp_path / "again")) == len(one)
        again = sorted(line for k in range(6) for line in (tmp_path / "again" / f"part-{k:05d}.csv").read_text().splitlines()[1:])
        assert again == written
        assert_same_summary(one_summary, rdask.summary(run))
        assert_same_scores(one, run.scores.compute())
