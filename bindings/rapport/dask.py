"""Score a customer base on a Dask cluster: the native core per partition, Python orchestration.

``rapport.dask.score`` takes dask DataFrames with the input columns, partitioned any way at all,
and returns a dask DataFrame with exactly the columns of :func:`rapport.score`, holding the same
numbers (the value models' fit may differ in its last digit, at most 1e-12 relative). There is
no network code here: every transfer is an ordinary dask task dependency, so it runs wherever
dask runs (a laptop's ``LocalCluster``, ``dask-scheduler`` + ``dask-worker`` on a cluster,
Kubernetes).

Stages (what crosses the network in brackets):

1. **Shuffle.** customers, contacts and purchases are tagged with their source position and a
   hash of ``customer_id``, then shuffled to P customer-hash partitions, so a customer's rows
   meet in one partition [every row, once]. Inside a partition rows are put back in input order.
2. **Load.** Each partition becomes a :class:`rapport.CustomerBase` through the one row path
   (the DataFrame loader: same validation, same rejects). The as-of default is the latest date
   over the partitions' accepted rows and the accepted referrals [one integer per partition].
3. **Referral forest, once.** The referral edges and the accepted customers' (id, acquired_on)
   go to one task, which builds the acquisition forest over the whole graph and cuts its
   per-customer results into the P partitions [the referral rows + ~30 bytes per customer].
4. **Value models, once.** Each partition's (x, t_x, T) and (x, m) pattern counts are reduced to
   the client [kilobytes: one row per distinct pattern], fitted there by the same C++ fit (which
   itself merges identical rows first), and the parameters go back inside the config. Another
   purchase model (``auto`` included) has each partition's inputs merged in C++ into distinct
   rows with weights [bytes per distinct row] — for ``auto`` after a pass for the purchase span
   its holdout is cut at — merged again and fitted once on the client in C++, exactly as one
   process fits its own merged rows; partitions then score with the winner's parameters.
5. **Score.** Each partition is scored by ``rapport::score_partition`` — the same per-customer
   code as ``rapport::score``, with the referral results and model parameters given — with the
   GIL released [nothing but its scores leave the worker].
6. **Up-serve ranks.** The exact mid-rank percentile over all scored customers by a bucket sort:
   boundaries from per-partition samples [a few floats per partition], each partition's values
   split by bucket, each bucket sorted, each value's global rank sent back [16 bytes per
   customer, twice].

:func:`summary` gives the same dict as :func:`rapport.summary`: additive figures from each
partition's own summary reduced on the client [bytes per partition], exact quantiles and value
deciles from gathering (input row, segment, loyalty given, expected value) per scored customer
[~30 bytes per customer: O(n) on the client], referral figures from one task over the referral
edges and the accepted customers.

Rejected rows come back as a dask DataFrame (:func:`rejects`) with the rows numbered as
:func:`rapport.score` numbers them (0-based row of the input table, in partition order).
"""

from __future__ import annotations

import glob as _glob
import json as _json
import os as _os
import warnings as _warnings
from typing import Any, Dict, List, Optional, Sequence

import numpy as _np
import pandas as _pd

import dask as _dask
import dask.dataframe as _dd
from dask import delayed as _delayed

import rapport as _r
from rapport import _rapport

__all__ = ["score", "score_run", "rejects", "summary", "read_csv", "DaskRun"]

_KEY = {"customers": "customer_id", "contacts": "customer_id", "purchases": "customer_id"}
_HELPERS = ["_part", "_src", "_row"]
_NO_FIT = 4294967295  # fit.min_customers no partition reaches: a model the client did not fit stays unavailable
_REFERRAL_RESULT_COLUMNS = ["generation", "tree_size", "direct_referrals", "converted_referrals"]


# ------------------------------------------------------------------------------------- helpers


def _tag(df: _pd.DataFrame, nparts: int, key: Optional[str], partition_info: Optional[dict] = None) -> _pd.DataFrame:
    """Source partition and row (input order), and the customer-hash partition of each row."""
    src = partition_info["number"] if partition_info else 0
    out = df.assign(_src=_np.int64(src), _row=_np.arange(len(df), dtype=_np.int64))
    if key is not None:
        h = _pd.util.hash_pandas_object(df[key].astype(str), index=False).to_numpy()
        out["_part"] = (h % _np.uint64(nparts)).astype(_np.int64)
    return out


def _in_order(df: Optional[_pd.DataFrame]) -> Optional[_pd.DataFrame]:
    """Rows back in input order (source partition, row): one int64 key; a frame already in order
    (the persisted shuffled partitions are put in order once) is returned as it is."""
    if df is None:
        return None
    key = (df["_src"].to_numpy(dtype=_np.int64) << _np.int64(40)) | df["_row"].to_numpy(dtype=_np.int64)
    if bool((key[1:] >= key[:-1]).all()):
        plain = isinstance(df.index, _pd.RangeIndex) and df.index.start == 0 and df.index.step == 1
        return df if plain else df.reset_index(drop=True)
    return df.take(_np.argsort(key, kind="stable")).reset_index(drop=True)


def _plain(df: Optional[_pd.DataFrame]) -> Optional[_pd.DataFrame]:
    if df is None:
        return None
    return df.drop(columns=[c for c in _HELPERS if c in df.columns])


def _build(customers, contacts=None, purchases=None, referrals=None) -> Any:
    """A CustomerBase through the one row path (rejects kept, not warned about per partition)."""
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore", _r.RejectedRowsWarning)
        return _r._resolve(_plain(customers), _plain(contacts), _plain(purchases), _plain(referrals), False)


def _global_rows(rejects: _pd.DataFrame, tables: Dict[str, Optional[_pd.DataFrame]], offsets: Dict[str, Any]) -> _pd.DataFrame:
    """Rejects renumbered from partition rows to rows of the whole input table."""
    if rejects.empty:
        return rejects
    rows = rejects["row"].to_numpy(dtype=_np.int64).copy()
    for table, frame in tables.items():
        mask = (rejects["table"] == table).to_numpy()
        if frame is None or not mask.any():
            continue
        pos = rows[mask]
        rows[mask] = offsets[table][frame["_src"].to_numpy()[pos]] + frame["_row"].to_numpy()[pos]
    out = rejects.copy()
    out["row"] = rows
    return out


def _split_by(frame: _pd.DataFrame, part: _np.ndarray, nparts: int) -> List[_pd.DataFrame]:
    order = _np.argsort(part, kind="stable")
    bounds = _np.searchsorted(part[order], _np.arange(nparts + 1))
    return [frame.iloc[order[bounds[k]:bounds[k + 1]]].reset_index(drop=True) for k in range(nparts)]


# ----------------------------------------------------------------------------- partition tasks


def _load_stage(k: int, cu, co, pu, offsets) -> Dict[str, Any]:
    """Stage 2: validate a partition; its as-of default, accepted customers and rejects."""
    cu, co, pu = _in_order(cu), _in_order(co), _in_order(pu)
    base = _build(cu, co, pu)
    rej = base.rejects_frame()
    bad = rej.loc[rej["table"] == "customers", "row"].to_numpy(dtype=_np.int64)
    ok = _np.ones(len(cu), dtype=bool)
    ok[bad] = False
    cols = base._columns()["customers"]
    accepted = _pd.DataFrame(
        {
            "customer_id": cols["customer_id"],
            "acquired_on": cols["acquired_on"].view("datetime64[ns]"),
            "_src": cu["_src"].to_numpy()[ok],
            "_row": cu["_row"].to_numpy()[ok],
            "_part": _np.int64(k),
        }
    )
    counts = {t: (n, int((rej["table"] == t).sum())) for t, n in (("customers", len(cu)), ("contacts", 0 if co is None else len(co)), ("purchases", 0 if pu is None else len(pu)))}
    return {
        "as_of_day": base._default_as_of_day,
        "customers": accepted,
        "rejects": _global_rows(rej, {"customers": cu, "contacts": co, "purchases": pu}, offsets),
        "counts": counts,
    }


def _referral_frame(parts: Sequence[_pd.DataFrame]) -> Optional[_pd.DataFrame]:
    if not parts:
        return None
    return _pd.concat(list(parts), ignore_index=True)


def _referral_stage(ref_parts: Sequence[_pd.DataFrame]) -> Dict[str, Any]:
    """Stage 2 for referrals: their rejects and the latest accepted referral date."""
    refs = _referral_frame(ref_parts)
    if refs is None:
        return {"as_of_day": None, "rejects": _r._rejects_frame([]), "counts": {}}
    empty = _pd.DataFrame({"customer_id": _pd.Series([], dtype=object), "acquired_on": _pd.Series([], dtype="datetime64[ns]")})
    base = _build(empty, None, None, refs)
    rej = base.rejects_frame()
    return {"as_of_day": base._default_as_of_day, "rejects": rej, "counts": {"referrals": (len(refs), len(rej))}}


def _forest_stage(loads: Sequence[Dict[str, Any]], ref_parts: Sequence[_pd.DataFrame], day: int, cfg, nparts: int):
    """Stage 3: the acquisition forest over every customer and referral, cut into partitions."""
    customers = _pd.concat([a["customers"] for a in loads], ignore_index=True)
    customers = customers.sort_values(["_src", "_row"], kind="stable").reset_index(drop=True)
    base = _build(customers[["customer_id", "acquired_on"]], None, None, _referral_frame(ref_parts))
    res = _pd.DataFrame(_rapport._referral_results(base, day, cfg))
    res.insert(0, "customer_id", customers["customer_id"].to_numpy())
    return _split_by(res, customers["_part"].to_numpy(), nparts)


def _no_referrals(n: int) -> Dict[str, Any]:
    z = _np.zeros(n, dtype=_np.uint32)
    return {"generation": z, "tree_size": z, "direct_referrals": z, "converted_referrals": z,
            "katz": _np.zeros(n), "track_record_weight": _np.zeros(n), "root_id": [""] * n}


def _bare_config(cfg_json: str):
    """The config a partition is scored with to read its value-model inputs: no model fitted."""
    cfg = _r.ScoringConfig.from_json(cfg_json)
    cfg.value_model = "bgnbd"
    cfg.penalizer = 0.0
    cfg.discount_rate = 0.0
    cfg.bgnbd = cfg.gamma_gamma = None
    cfg.fit = {"min_customers": _NO_FIT}
    return cfg


def _pattern_stage(cu, co, pu, day: int, cfg_json: str, span: Optional[tuple] = None) -> Dict[str, Any]:
    """Stage 4: a partition's value-model inputs (no referrals needed): BG/NBD's and Gamma-Gamma's
    pattern counts, and for another purchase model its span (``auto``'s holdout is planned from
    it) or, given the whole base's ``span``, its merged inputs (``_rapport`` bytes)."""
    cfg = _r.ScoringConfig.from_json(cfg_json)
    base = _build(_in_order(cu), _in_order(co), _in_order(pu))
    run = _rapport._score_partition(base, day, _bare_config(cfg_json), _no_referrals(len(base)))
    out: Dict[str, Any] = {"span": run.value_span()}
    if span is not None:
        out["inputs"] = run.value_inputs(cfg, span)
    x, t_x, T, m = run.rfm_columns()
    buyers = ~_np.isnan(x)
    bg = _pd.DataFrame({"x": x[buyers], "t_x": t_x[buyers], "T": T[buyers]})
    repeat = buyers & (x >= 1) & (_np.nan_to_num(m) > 0)
    gg = _pd.DataFrame({"x": x[repeat], "m": m[repeat]})
    out.update(bgnbd=bg.value_counts().rename("n").reset_index(), gamma_gamma=gg.value_counts().rename("n").reset_index())
    return out


def _inputs_stage(cu, co, pu, day: int, cfg_json: str, span: tuple) -> bytes:
    """Stage 4 for ``auto`` once the whole base's span is known: the partition's merged inputs
    (the candidates' calibration rows at the holdout cut, holdout repeat purchases, full inputs)."""
    cfg = _r.ScoringConfig.from_json(cfg_json)
    base = _build(_in_order(cu), _in_order(co), _in_order(pu))
    run = _rapport._score_partition(base, day, _bare_config(cfg_json), _no_referrals(len(base)))
    return run.value_inputs(cfg, span)


def _whole_span(spans: Sequence[tuple]) -> tuple:
    """The partitions' spans merged (any ended_on; the first and last purchase day)."""
    return (any(s[0] for s in spans), min(s[1] for s in spans), max(s[2] for s in spans))


_NO_SPAN = (False, 2**31 - 1, -(2**31))


def _partition_run(cu, co, pu, refs: _pd.DataFrame, day: int, cfg_json: str) -> tuple:
    """A partition's (base, score run) by the one score path with given referrals and parameters."""
    cfg = _r.ScoringConfig.from_json(cfg_json)
    base = _build(_in_order(cu), _in_order(co), _in_order(pu))
    ids = _pd.Index(base._columns()["customers"]["customer_id"])
    refs = refs.set_index("customer_id").reindex(ids)
    given = {c: refs[c].to_numpy(dtype=_np.uint32) for c in _REFERRAL_RESULT_COLUMNS}
    given.update(katz=refs["katz"].to_numpy(dtype=float), track_record_weight=refs["track_record_weight"].to_numpy(dtype=float),
                 root_id=list(refs["root_id"]))
    return base, _rapport._score_partition(base, day, cfg, given)


def _score_stage(cu, co, pu, refs: _pd.DataFrame, day: int, cfg_json: str, draws: Optional[dict] = None) -> _pd.DataFrame:
    """Stage 5: a partition scored by the one score path with given referrals and parameters; with
    ``draws`` (the intervals' parameter draws, made once on the client) its interval columns."""
    _, run = _partition_run(cu, co, pu, refs, day, cfg_json)
    if draws is not None:
        run.fill_intervals(draws)
    return _pd.DataFrame(dict(run.take_columns()), copy=False)


def _interval_stage(cu, co, pu, day: int, cfg_json: str) -> dict:
    """Stage 4c (intervals on): a partition's interval patterns under the model it scores with
    (each scored customer's purchase and spend inputs; no referrals needed)."""
    base = _build(_in_order(cu), _in_order(co), _in_order(pu))
    return _rapport._score_partition(base, day, _r.ScoringConfig.from_json(cfg_json), _no_referrals(len(base))).interval_patterns()


# ------------------------------------------------------------------------------------ up-serve


def _bucket_split(df: _pd.DataFrame, bounds: _np.ndarray) -> List[_np.ndarray]:
    v = df["upserve_value"].to_numpy()
    b = _np.searchsorted(bounds, v, side="right")
    return [v[b == k] for k in range(len(bounds) + 1)]


def _bucket_rank(pieces: Sequence[_np.ndarray]) -> tuple:
    """(count, per source partition: (#less, #equal) within the bucket of each of its values)."""
    allv = _np.sort(_np.concatenate(pieces)) if pieces else _np.empty(0)
    out = []
    for p in pieces:
        lo = _np.searchsorted(allv, p, side="left")
        hi = _np.searchsorted(allv, p, side="right")
        out.append((lo, hi - lo))
    return (len(allv), out)


def _bucket_count(r: tuple) -> int:
    return r[0]


def _bucket_piece(r: tuple, k: int) -> tuple:
    return r[1][k]


def _assign_ranks(df: _pd.DataFrame, bounds: _np.ndarray, counts: Sequence[int], pieces: Sequence[tuple]) -> _pd.DataFrame:
    """upserve_score = 100 (#less + (#equal − 1)/2) / (n − 1) over all partitions; 50 when n = 1."""
    counts = _np.asarray(counts, dtype=_np.int64)
    offsets = _np.concatenate([[0], _np.cumsum(counts)])
    n = int(offsets[-1])
    v = df["upserve_value"].to_numpy()
    b = _np.searchsorted(bounds, v, side="right")
    score = _np.empty(len(v))
    for k, (less, equal) in enumerate(pieces):
        mask = b == k
        if not mask.any():
            continue
        lo = (offsets[k] + less).astype(float)
        score[mask] = 100.0 * (lo + (equal - 1).astype(float) / 2.0) / float(n - 1) if n > 1 else 50.0
    out = df.copy()
    out["upserve_score"] = score
    return out


_BUCKET_VALUES = 1_000_000  # values per bucket aimed at (8 MB to sort in one task)


def _rank(scored: List[Any], nparts: int) -> List[Any]:
    sampled = _dask.compute(*[_delayed(_sample)(s) for s in scored])
    n = sum(size for size, _ in sampled)
    allsamples = _np.unique(_np.concatenate([q for _, q in sampled])) if sampled else _np.empty(0)
    # at least 4 buckets (so that small runs use the same code), about a million values each
    nb = max(1, min(nparts, len(allsamples), max(4, -(-n // _BUCKET_VALUES))))
    bounds = _np.unique(allsamples[_np.linspace(0, len(allsamples) - 1, nb + 1).astype(int)[1:-1]]) if nb > 1 else _np.empty(0)
    nbuckets = len(bounds) + 1
    splits = [_delayed(_bucket_split, nout=nbuckets)(s, bounds) for s in scored]
    buckets = [_delayed(_bucket_rank)([sp[b] for sp in splits]) for b in range(nbuckets)]
    counts = [_delayed(_bucket_count)(r) for r in buckets]
    return [
        _delayed(_assign_ranks)(s, bounds, counts, [_delayed(_bucket_piece)(r, k) for r in buckets])
        for k, s in enumerate(scored)
    ]


def _sample(df: _pd.DataFrame) -> tuple:
    """(rows, 33 quantiles of upserve_value): the bucket boundaries are drawn from these."""
    v = df["upserve_value"].to_numpy()
    if len(v) == 0:
        return (0, v)
    return (len(v), _np.quantile(v, _np.linspace(0, 1, 33), method="lower"))


# ----------------------------------------------------------------------------------- public API


class DaskRun:
    """A distributed scoring run: the scores, the rejects and what the client decided.

    Attributes
    ----------
    scores : dask.dataframe.DataFrame
        One row per scored customer, the columns of :func:`rapport.score`, partitioned by a hash
        of ``customer_id`` (input order within a partition).
    rejects : dask.dataframe.DataFrame
        The rejected rows, with the columns of :meth:`rapport.CustomerBase.rejects_frame`.
    as_of : datetime.date
        The as-of date (given, or the latest date among the accepted rows).
    bgnbd, gamma_gamma : dict
        The value models' parameters, ``fitted`` and ``error`` (None when available); ``bgnbd``
        says "not used" under another purchase model.
    purchase_model : str
        The purchase model in use (``auto`` resolved to its winner; its figures and auto's holdout
        race are in :func:`summary`).
    counts : dict
        ``{table: (rows read, rows rejected)}``.
    partitions : int
        Number of customer-hash partitions.
    """

    def __init__(self, scores, rejects, as_of, bgnbd, gamma_gamma, counts, partitions, inputs=None, purchase_model=None):
        self.scores = scores
        self.purchase_model = purchase_model or "bgnbd"
        self._inputs = inputs  # what summary() recomputes from (delayed partitions, day, configs)
        self.rejects = rejects
        self.as_of = as_of
        self.bgnbd = bgnbd
        self.gamma_gamma = gamma_gamma
        self.counts = counts
        self.partitions = partitions


def _shuffled(frame, table: str, nparts: int):
    """Rows moved to partition ``_part`` (their customer hash mod P): every partition gets its
    share of the customers (shuffling on the column instead would hash the partition numbers
    again and leave about a third of the partitions empty)."""
    if frame is None:
        return None
    tagged = frame.map_partitions(_tag, nparts, _KEY[table])
    try:
        from dask.dataframe.shuffle import rearrange_by_column
    except ImportError:  # a dask without it: hash the column (uneven, still correct)
        moved = tagged.shuffle("_part", npartitions=nparts)
    else:
        moved = rearrange_by_column(tagged, "_part", npartitions=nparts, ignore_index=True)
    # put in input order once, before they are persisted: every later stage reads them as they are
    return moved.map_partitions(_in_order)


def _parts(frame, nparts: int) -> List[Any]:
    return [None] * nparts if frame is None else frame.to_delayed()


def _offsets(lengths) -> _np.ndarray:
    return _np.concatenate([[0], _np.cumsum(_np.asarray(lengths, dtype=_np.int64))])


def _fit(kind: str, patterns: List[Dict[str, _pd.DataFrame]], cfg) -> Dict[str, Any]:
    """One value model from the summed pattern counts (the C++ fit merges identical rows first,
    so expanding the counts gives it exactly the rows one machine would)."""
    rows = _pd.concat([p[kind] for p in patterns], ignore_index=True)
    keys = ["x", "t_x", "T"] if kind == "bgnbd" else ["x", "m"]
    rows = rows.groupby(keys, sort=True)["n"].sum().reset_index()
    reps = rows["n"].to_numpy(dtype=_np.int64)
    cols = [_np.repeat(rows[k].to_numpy(dtype=float), reps) for k in keys]
    given = getattr(cfg, kind)
    customers = int(reps.sum())
    info: Dict[str, Any] = {"fitted": False, "customers": customers, "error": None}
    if given is not None:
        info.update(given)
        return info
    fit = cfg.fit
    opts = dict(max_iterations=fit["max_iterations"], gradient_tolerance=fit["gradient_tolerance"], min_customers=fit["min_customers"])
    what = (f"BG/NBD fit over {customers} scored customers with purchases" if kind == "bgnbd"
            else f"Gamma-Gamma fit over {customers} repeat buyers")
    try:
        params = _r.fit_bgnbd(*cols, **opts) if kind == "bgnbd" else _r.fit_gamma_gamma(*cols, **opts)
    except _r.FitError as e:
        info["error"] = f"{what} failed: {e} (pass fixed parameters with the config's \"{kind}\" to score value at stake anyway)"
        return info
    info.update(params)
    info["fitted"] = True
    return info


_PARAMS = {"bgnbd": ("r", "alpha", "a", "b"), "gamma_gamma": ("p", "q", "gamma")}


def _score_config(cfg, bgnbd: Dict[str, Any], gamma_gamma: Dict[str, Any], value_fit=None):
    """The config each partition scores with: the client's parameters given, or no fit at all.
    With ``value_fit`` (another purchase model than plain BG/NBD) its model and parameters."""
    out = cfg.copy() if value_fit is None else value_fit.partition_config(cfg)
    purchase_error = bgnbd["error"] if value_fit is None else (value_fit.error() or None)
    if purchase_error or gamma_gamma["error"]:
        out.gamma_gamma = None
        out.fit = {"min_customers": _NO_FIT}
        if value_fit is None:
            out.bgnbd = None
            if not bgnbd["error"]:
                out.bgnbd = {k: bgnbd[k] for k in _PARAMS["bgnbd"]}
        return out
    if value_fit is None:
        out.bgnbd = {k: bgnbd[k] for k in _PARAMS["bgnbd"]}
    out.gamma_gamma = {k: gamma_gamma[k] for k in _PARAMS["gamma_gamma"]}
    return out


def _partition_count(npartitions: Any) -> int:
    """`npartitions` as a positive int: a whole number (an integral float such as 4.0 too) above 0."""
    if isinstance(npartitions, (bool, _np.bool_)) or not isinstance(npartitions, (int, float, _np.integer, _np.floating)):
        raise TypeError("npartitions must be a positive whole number, not %r" % (npartitions,))
    if not (_np.isfinite(npartitions) and npartitions == int(npartitions) and npartitions >= 1):
        raise ValueError("npartitions must be a positive whole number, not %r" % (npartitions,))
    return int(npartitions)


def score_run(customers, contacts=None, purchases=None, referrals=None, *, as_of: Any = None, config: Any = None,
              npartitions: Optional[int] = None) -> DaskRun:
    """Score dask DataFrames on the current dask scheduler (e.g. a ``distributed.Client``).

    Parameters
    ----------
    customers, contacts, purchases, referrals : dask.dataframe.DataFrame
        The input tables with the CSV columns, partitioned any way (contacts, purchases and
        referrals may be None).
    as_of : date-like, optional
        The as-of date; default the latest date among the accepted rows (a global reduction).
    config : ScoringConfig, dict or JSON text, optional
        As for :func:`rapport.score`.
    npartitions : int, optional
        Customer-hash partitions (default: the most partitions of any input table): a positive
        whole number; anything else raises ValueError (TypeError when it is not a number).

    Returns
    -------
    DaskRun
        The ``scores`` and ``rejects`` frames and the run's as-of date, models and counts. This
        call computes (persists on the workers) the shuffled inputs, the loads, the pattern
        counts and — when value at stake is known — the partition scores, whose up-serve values
        the global ranking needs; the ranking and the rejects stay lazy.
    """
    cfg = _r._config(config, None)
    # another purchase model than BG/NBD by its own fit: merged inputs gathered, fitted once in C++
    other_model = cfg.value_model != "bgnbd" or (cfg.penalizer > 0 and cfg.bgnbd is None)
    day = _r._day(as_of, "as_of")
    tables = {"customers": customers, "contacts": contacts, "purchases": purchases}
    nparts = (_partition_count(npartitions) if npartitions is not None
              else max(f.npartitions for f in (customers, contacts, purchases) if f is not None))
    shuffled = {t: _shuffled(f, t, nparts) for t, f in tables.items()}
    lengths = {t: f.map_partitions(len) for t, f in tables.items() if f is not None}
    ref_tagged = None if referrals is None else referrals.map_partitions(_tag, 1, None)
    live = [x for x in list(shuffled.values()) + list(lengths.values()) + [ref_tagged] if x is not None]
    persisted = iter(_dask.persist(*live))
    shuffled = {t: (None if f is None else next(persisted)) for t, f in shuffled.items()}
    lengths = {t: next(persisted) for t in lengths}
    ref_tagged = None if ref_tagged is None else next(persisted)

    offsets = {t: _offsets(v) for t, v in zip(lengths, _dask.compute(*lengths.values()))}
    cu, co, pu = (_parts(shuffled[t], nparts) for t in ("customers", "contacts", "purchases"))
    ref_parts = [] if ref_tagged is None else ref_tagged.to_delayed()
    loads = _dask.persist(*[_delayed(_load_stage)(k, cu[k], co[k], pu[k], offsets) for k in range(nparts)])
    ref_load = _delayed(_referral_stage)(ref_parts)
    small = _dask.compute([_delayed(lambda a: (a["as_of_day"], a["counts"]))(a) for a in loads] + [
        _delayed(lambda a: (a["as_of_day"], a["counts"]))(ref_load)])[0]
    days = [d for d, _ in small if d is not None]
    counts: Dict[str, List[int]] = {}
    for _, c in small:
        for t, (n, bad) in c.items():
            acc = counts.setdefault(t, [0, 0])
            acc[0] += n
            acc[1] += bad
    if day is None:
        if not days:
            raise _r.InputError("empty customer base: nothing to score and no as-of date")
        day = max(days)

    forest = _delayed(_forest_stage, nout=nparts)(list(loads), ref_parts, day, cfg, nparts)
    cfg_json = cfg.to_json()
    # stage 4: for auto the holdout is cut at the whole base's span, so its inputs take a second pass
    planned = cfg.value_model == "auto"
    first_span = None if (planned or not other_model) else _NO_SPAN
    patterns = list(_dask.compute(*[_delayed(_pattern_stage)(cu[k], co[k], pu[k], day, cfg_json, first_span)
                                    for k in range(nparts)]))
    gamma_gamma = _fit("gamma_gamma", patterns, cfg)
    value_fit = None
    if other_model:
        span = _whole_span([p["span"] for p in patterns]) if planned else _NO_SPAN
        parts = (list(_dask.compute(*[_delayed(_inputs_stage)(cu[k], co[k], pu[k], day, cfg_json, span)
                                      for k in range(nparts)])) if planned else [p["inputs"] for p in patterns])
        value_fit = _rapport._fit_purchase_model(cfg, span, parts)
    if value_fit is None or value_fit.own_bgnbd_fit:
        bgnbd = _fit("bgnbd", patterns, cfg)
        if value_fit is not None:
            value_fit.take_bgnbd(bgnbd)
    else:
        bgnbd = {"fitted": False, "customers": 0, "error": f"not used: the purchase model is {value_fit.model}"}
    run_json = _score_config(cfg, bgnbd, gamma_gamma, value_fit).to_json()
    purchase_error = bgnbd["error"] if value_fit is None else (value_fit.error() or None)
    draws = None
    if cfg.intervals > 0 and not purchase_error:
        # step (a) of the intervals once on the client from every partition's patterns, as one process
        # draws them from its whole base's; step (b) in each partition's score task
        interval_parts = list(_dask.compute(*[_delayed(_interval_stage)(cu[k], co[k], pu[k], day, run_json)
                                        for k in range(nparts)]))
        draws = _rapport._interval_draws(interval_parts, cfg, not gamma_gamma["error"])
    scored = [_delayed(_score_stage)(cu[k], co[k], pu[k], forest[k], day, run_json, draws) for k in range(nparts)]
    if not (purchase_error or gamma_gamma["error"]):
        scored = list(_dask.persist(*scored))
        scored = _rank(scored, nparts)
    meta = _pd.DataFrame({c: _pd.Series([], dtype=t) for c, t in _score_meta(cfg.intervals > 0).items()})
    scores = _dd.from_delayed(scored, meta=meta, verify_meta=False)
    rej_meta = _r._rejects_frame([])
    rej_parts = [_delayed(lambda a: a["rejects"])(a) for a in loads] + [_delayed(lambda a: a["rejects"])(ref_load)]
    rejects_df = _dd.from_delayed(rej_parts, meta=rej_meta, verify_meta=False)
    inputs = {"cu": cu, "co": co, "pu": pu, "forest": forest, "loads": loads, "ref_parts": ref_parts, "day": day,
              "run_json": run_json, "cfg": cfg, "offsets": offsets, "value_fit": value_fit}
    return DaskRun(scores, rejects_df, _r._date(day), bgnbd, gamma_gamma, {t: tuple(v) for t, v in counts.items()}, nparts,
                   inputs, None if value_fit is None else value_fit.model)


_INTERVAL_COLUMNS = ("p_alive_lo", "p_alive_hi", "expected_purchases_lo", "expected_purchases_hi", "expected_value_lo",
                     "expected_value_hi")


def _score_meta(intervals: bool = False) -> Dict[str, str]:
    types = {"customer_id": "object", "root_id": "object", "next_action": "object", "ask_for_referral": "bool",
             "direct_referrals": "int64", "converted_referrals": "int64", "generation": "int64", "tree_size": "int64"}
    return {c: types.get(c, "float64") for c in tuple(_rapport.SCORE_COLUMNS) + (_INTERVAL_COLUMNS if intervals else ())}


def score(customers, contacts=None, purchases=None, referrals=None, *, as_of: Any = None, config: Any = None,
          npartitions: Optional[int] = None):
    """Score dask DataFrames: a dask DataFrame with exactly the columns of :func:`rapport.score`.

    See :func:`score_run` for the parameters; the rows are partitioned by a hash of
    ``customer_id`` (sort by it to compare with :func:`rapport.score`).
    """
    return score_run(customers, contacts, purchases, referrals, as_of=as_of, config=config,
                     npartitions=npartitions).scores


def rejects(customers, contacts=None, purchases=None, referrals=None, *, npartitions: Optional[int] = None):
    """The rejected rows of the inputs as a dask DataFrame (as :meth:`CustomerBase.rejects_frame`)."""
    return score_run(customers, contacts, purchases, referrals, npartitions=npartitions).rejects


# ------------------------------------------------------------------------------------- summary


def _summary_stage(cu, co, pu, refs: _pd.DataFrame, accepted: _pd.DataFrame, day: int, cfg_json: str,
                   customer_offsets: _np.ndarray) -> bytes:
    """A partition's part of the summary (``rapport::summary_partial``): its counts and exact sums,
    and per scored customer its row of the whole input, segment, loyalty given and expected value."""
    base, run = _partition_run(cu, co, pu, refs, day, cfg_json)
    # the partition's base holds its accepted customers in order; those acquired by the as-of are scored
    acquired = accepted["acquired_on"].to_numpy().astype("datetime64[D]").astype(_np.int64)
    scored = acquired <= day
    if int(scored.sum()) != run.size:
        raise RuntimeError("rapport.dask: a partition's scored customers differ from its accepted ones")
    order = customer_offsets[accepted["_src"].to_numpy()[scored]] + accepted["_row"].to_numpy()[scored]
    return run.summary_partial(order.astype(_np.uint64))


def _forest_summary(loads: Sequence[Dict[str, Any]], ref_parts: Sequence[_pd.DataFrame], day: int, cfg_json: str) -> bytes:
    """The referral figures' part of the summary and the referral rows' counts and rejects, from one
    task over every accepted customer and referral (the inputs of the forest of stage 3)."""
    customers = _pd.concat([a["customers"] for a in loads], ignore_index=True)
    customers = customers.sort_values(["_src", "_row"], kind="stable").reset_index(drop=True)
    base = _build(customers[["customer_id", "acquired_on"]], None, None, _referral_frame(ref_parts))
    cfg = _r.ScoringConfig.from_json(cfg_json)
    cfg.bgnbd = cfg.gamma_gamma = None
    cfg.fit = {"min_customers": _NO_FIT}
    return _rapport._score(base, day, cfg).referral_summary_partial()


def summary(run: DaskRun) -> Dict[str, Any]:
    """The base-wide summary of a distributed run: the same dict as :func:`rapport.summary` on the
    same rows, bit for bit.

    Each partition computes its part of the summary in C++ (``rapport::summary_partial``: counts,
    exact sums, and per scored customer its input row, segment, loyalty given and expected value,
    about 30 bytes per customer); one task computes the referral figures over the whole referral
    graph; the parts are merged and finished in C++ (``rapport::merge_summary_partials``,
    ``rapport::finish_summary``) on the client, as :func:`rapport.summary` itself is. No figure is
    computed here.
    """
    i = run._inputs
    stages = [_delayed(_summary_stage)(i["cu"][k], i["co"][k], i["pu"][k], i["forest"][k],
                                       _delayed(lambda a: a["customers"])(i["loads"][k]), i["day"], i["run_json"],
                                       i["offsets"]["customers"])
              for k in range(run.partitions)]
    referrals = _delayed(_forest_summary)(list(i["loads"]), i["ref_parts"], i["day"], i["cfg"].to_json())
    parts, ref = _dask.compute(list(stages), referrals)
    return _json.loads(_rapport._finish_summary(list(parts) + [ref], run.bgnbd, run.gamma_gamma, i["cfg"], i["value_fit"]))


def read_csv(path: str, blocksize: Any = "64MB") -> Dict[str, Any]:
    """The input tables of a directory (or a glob of directories) as dask DataFrames.

    Every field is read as text exactly as written (no NA guessing), so validation is the same
    as for the CSV loader's. Quoted fields holding newlines need ``blocksize=None`` (one
    partition per file).

    Returns
    -------
    dict
        ``{'customers', 'contacts', 'purchases', 'referrals'}``; a table without files is None.
    """
    dirs = sorted(_glob.glob(path)) if any(ch in path for ch in "*?[") else [path]
    out: Dict[str, Any] = {}
    for table in ("customers", "contacts", "purchases", "referrals"):
        files = [f for d in dirs for f in [_os.path.join(d, table + ".csv")] if _os.path.exists(f)]
        out[table] = (_dd.read_csv(files, dtype=str, keep_default_na=False, na_filter=False, blocksize=blocksize)
                      if files else None)
    if out["customers"] is None:
        raise _r.InputError(f"{path}: no customers.csv")
    return out
