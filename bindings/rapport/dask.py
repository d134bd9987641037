"""Score a customer base on a Dask cluster: the native core per partition, Python orchestration.

``rapport.dask.score`` takes the tables of :func:`read_csv` (CSV files cut into byte ranges) or
dask DataFrames with the input columns, partitioned any way at all, and returns a dask DataFrame
with exactly the columns of :func:`rapport.score`, holding the same numbers (the value models'
fit may differ in its last digit, at most 1e-12 relative). There is no network code here: every
transfer is an ordinary dask task dependency, so it runs wherever dask runs (a laptop's
``LocalCluster``, ``dask-scheduler`` + ``dask-worker`` on a cluster, Kubernetes).

Stages (what crosses the network in brackets):

1. **Read and route, once.** Each byte range of a CSV file is parsed in its own task by
   rapport's CSV reader (``_rapport._csv_cut``), which splits its records by a hash of
   ``customer_id`` into P compact pieces: the raw record bytes and int32 (row, line, end) per
   record (int64 for a range too big for int32). A DataFrame partition is written as CSV text
   and cut the same way — one pipeline after that, and a database range too (:func:`read_db`:
   PostgreSQL ctid ranges in one snapshot). Each partition joins its pieces in input order and
   loads its :class:`rapport.CustomerBase` once through the one row rule
   (``_rapport._piece_base``: the CSV loader's validation and rejects, rows numbered by row of
   the whole input table) and drops its pieces [every row once, as raw CSV bytes + 12 bytes];
   the partition object stays on its worker for every later stage, and where dask spills or
   moves it, it pickles as its base's typed columns and load report (about a quarter of the
   CSV bytes; no parse to read them back).
2. **Load** (in stage 1's task, while the base is in memory). The as-of default is the latest
   date over the partitions' accepted rows and the
   accepted referrals [one integer per partition]; each partition's accepted customers' records
   are kept for the forest.
3. **Referral forest, once.** The referral edges and every accepted customer's record go to one
   task, which builds the acquisition forest over the whole graph and cuts its per-customer
   results into the P partitions [the referral rows + the customer records + ~30 bytes per
   customer].
4. **Value models, once.** Each partition's value-model inputs are computed in C++ without
   scoring it (``_rapport._value_parts``: score's own purchase walk and (x, t_x, T, m), nothing
   else): its purchase span and its (x, t_x, T) and (x, m) pattern counts, reduced to the
   client [kilobytes: one row per distinct pattern], merged there in C++
   (``_rapport._merge_value_parts``), fitted by the weighted C++ fit
   (``rapport::fit_bgnbd_weighted``: the counts as weights, the same bits as the fit of the
   expanded rows), and the parameters go back inside the config. Another
   purchase model (``auto`` included) has each partition's inputs merged in C++ into distinct
   rows with weights [bytes per distinct row] — for ``auto`` after a pass for the purchase span
   its holdout is cut at — merged again and fitted once on the client in C++, exactly as one
   process fits its own merged rows; partitions then score with the winner's parameters. With
   intervals, each partition's interval patterns come the same way, without scoring.
5. **Score, once.** Each partition is scored by ``rapport::score_partition`` — the same
   per-customer code as ``rapport::score``, with the referral results and model parameters
   given — with the GIL released; the run is kept with the partition on its worker, and the
   ranks, the written CSV, the scores frame and the summary part all read it [its up-serve
   values to the ranks; the scores stay on the worker].
6. **Up-serve ranks.** The exact mid-rank percentile over all scored customers by a bucket sort,
   every step in C++ (``src/scoring/ranks.*``; here only the tasks are wired): bounds from
   per-partition samples [a few floats per partition], each partition's values split by
   bucket, each bucket sorted, each value's (#less, #equal) in its bucket sent back and turned
   into its percentile by the one mid-rank formula [16 bytes per customer, twice].

:func:`summary` gives the same dict as :func:`rapport.summary`: additive figures from each
partition's own summary reduced on the client [bytes per partition], exact quantiles and value
deciles from gathering (input row, segment, loyalty given, expected value) per scored customer
[~30 bytes per customer: O(n) on the client], referral figures from one task over the referral
edges and the accepted customers.

Rejected rows come back as a dask DataFrame (:func:`rejects`) with the rows numbered as
:func:`rapport.score` numbers them (0-based row of the input table, in partition order).
"""

from __future__ import annotations

import contextlib as _contextlib
import glob as _glob
import json as _json
import operator as _operator
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
from rapport._dask_db import _BLOCK, DbSnapshot, DbTable

__all__ = ["score", "score_run", "rejects", "summary", "read_csv", "read_db", "CsvTable", "DbTable", "DbSnapshot",
           "DaskRun"]

_TABLES = ("customers", "contacts", "purchases", "referrals")
_KEY = "customer_id"
_NO_FIT = 4294967295  # fit.min_customers no partition reaches: a model the client did not fit stays unavailable
_REFERRAL_RESULT_COLUMNS = ["generation", "tree_size", "direct_referrals", "converted_referrals"]


# ----------------------------------------------------------------------------- native reading


class CsvTable:
    """One input table's CSV files cut into byte ranges (what :func:`read_csv` returns).

    Each range is read by one task with rapport's own CSV reader, which splits its records by a
    hash of ``customer_id`` into compact pieces (the raw record bytes and int32 row numbers).

    Attributes
    ----------
    table : str
        customers, contacts, purchases or referrals.
    files : list of str
        The table's files, in input order (their rows numbered one after another).
    npartitions : int
        The number of byte ranges.
    """

    def __init__(self, table: str, files: Sequence[str], blocksize: Optional[int]) -> None:
        self.table = table
        self.files = list(files)
        self._headers = [_rapport._csv_header(f) for f in self.files]
        first = self._headers[0]
        if first[0] is None:
            raise _r.InputError(f"{self.files[0]}: empty file (no header)")
        for f, h in zip(self.files, self._headers):
            if h[0] != first[0]:
                raise _r.InputError(f"{f}: its header differs from {self.files[0]}'s")
        self.header = first[0]
        self.columns = list(first[1])
        self.ranges: List[tuple] = []  # (file index, begin, end)
        for i, f in enumerate(self.files):
            start, size = self._headers[i][2], _os.path.getsize(f)
            step = max(1, blocksize or size - start or 1)
            self.ranges += [(i, b, min(size, b + step)) for b in range(start, size, step)] or [(i, start, start)]
        self.npartitions = len(self.ranges)

    @property
    def name(self) -> str:
        return self.files[0] if len(self.files) == 1 else f"<{self.table}>"

    def whole_files(self) -> "CsvTable":
        """The same files, one range each (when a quote breaks the byte-range cuts)."""
        return CsvTable(self.table, self.files, None)


def _key_column(columns: Sequence[str], table: str) -> int:
    """Where customer_id is (any field for referrals, which are not routed)."""
    if table == "referrals":
        return 0
    cols = list(columns)
    return cols.index(_KEY) if _KEY in cols else len(cols)  # missing: the load names the missing column


def _cut(path: str, begin: int, end: int, quoted: bool, line: int, data_start: int, key: int, parts: int) -> tuple:
    return _rapport._csv_cut(path, begin, end, quoted, line, data_start, key, parts)


def _csv_cuts(t: CsvTable, parts: int, quoted: Optional[Sequence[bool]] = None) -> List[Any]:
    """The range tasks of a CSV table. ``quoted``: the quote parity at each range's start (default
    even everywhere: right for a file without quotes; the first pass's counts tell where it is
    not). Lines are numbered from 1 at each range's start (shifted when the pieces are merged)."""
    key = _key_column(t.columns, t.table)
    quoted = quoted or [False] * len(t.ranges)
    return [_delayed(_cut, nout=parts + 1, pure=True)(t.files[i], b, e, bool(q), 1, t._headers[i][2], key, parts)
            for (i, b, e), q in zip(t.ranges, quoted)]


def _range_starts(t: CsvTable, infos: Sequence[tuple]) -> tuple:
    """Per range, from every range's quote and line-break counts: the quote parity and the
    physical line at its start."""
    parity, lines, current, quotes, line = [], [], -1, 0, 0
    for (i, _, _), info in zip(t.ranges, infos):
        if i != current:  # a new file: its parity and lines start after its header
            current, quotes, line = i, 0, t._headers[i][3]
        parity.append(quotes % 2 == 1)
        lines.append(line)
        quotes += info[4]
        line += info[5]
    return parity, lines


def _frame_cut(df: _pd.DataFrame, key: int, parts: int) -> tuple:
    """A DataFrame partition as the same compact pieces: written as CSV text, then cut natively."""
    text = df.to_csv(header=False, index=False, lineterminator="\n").encode("utf-8", "surrogateescape")
    return _rapport._text_cut(text, key, parts)


def _frame_header(frame) -> bytes:
    return frame._meta.iloc[:0].to_csv(index=False, lineterminator="\n").rstrip("\n").encode("utf-8", "surrogateescape")


class _Input:
    """A table cut into range tasks: its name and header, and per range (rows, regular, …) + pieces."""

    def __init__(self, table: str, source: Any, parts: int) -> None:
        self.table = table
        self.parts = parts
        self.db = isinstance(source, DbTable)
        # csv: the rejects carry a line from the pieces (a CSV file's line, a database row's number)
        self.csv = isinstance(source, CsvTable) or self.db
        self.source = source
        if self.db:
            self.name, self.header = source.name, source.header
            self.cuts = source._cuts(_key_column(source.columns, table), parts)
        elif self.csv:
            self.name, self.header, self.cuts = source.name, source.header, _csv_cuts(source, parts)
        else:
            key = _key_column(source.columns, table)
            self.name, self.header = f"<{table}>", _frame_header(source)
            self.cuts = [_delayed(_frame_cut, nout=parts + 1)(p, key, parts) for p in source.to_delayed()]

    def recut_whole_files(self) -> None:
        self.source = self.source.whole_files()
        self.cuts = _csv_cuts(self.source, self.parts)

    def piece(self, k: int) -> List[Any]:
        return [c[k + 1] for c in self.cuts]


def _merged(pieces: Sequence[tuple], offsets: tuple) -> tuple:
    """Pieces of one table from every range joined in row order (``offsets``: each range's first
    row, and what its lines are shifted by)."""
    rows, lines = offsets
    n = len(pieces)
    return _rapport._merge_pieces(list(pieces), [int(o) for o in rows[:n]], [], [int(o) for o in lines[:n]])


class _Partition:
    """A customer-hash partition: its CustomerBase, loaded once from the partition's pieces
    through the one row rule (:func:`_make_partition`; the pieces are dropped once it is loaded),
    and its kept score run. Dask pickles it (to spill it or move it to another worker) as the
    base's typed columns and load report (``CustomerBase._to_bytes``: about a quarter of the
    rows' CSV bytes), read back without a parse; the kept run is not pickled (scored again, once,
    by the next stage that reads it)."""

    def __init__(self, base) -> None:
        self.base = base
        self._runs: Dict[tuple, Any] = {}

    def __getstate__(self):
        return self.base._to_bytes()

    def __setstate__(self, data):
        self.base, self._runs = _rapport._base_from_bytes(data, True), {}

    def scored(self, given: Dict[str, Any], day: int, cfg_json: str, draws: Optional[dict]):
        """The partition's score run with the fitted models (and the intervals under ``draws``),
        scored once and kept with the partition on its worker: the ranks' input, the written CSV,
        the scores frame and the summary part all read this one run (scored again only where the
        partition was moved or spilled, which pickles its base without the run)."""
        # the draws and the forest follow from the day and the settings (the draws' seed is in
        # them), so these and whether intervals were asked for name the run
        key = (day, cfg_json, draws is None)
        if key not in self._runs:
            run = _partition_run(self, given, day, cfg_json)
            if draws is not None:
                run.fill_intervals(draws)
            self._runs = {key: run}  # the latest run only
        return self._runs[key]


def _spec(name: str, header: bytes, piece: tuple) -> tuple:
    return (name, header, piece[0], piece[1])


def _make_partition(names: Sequence[Optional[tuple]], pieces: Sequence[Optional[List[tuple]]], offsets,
                    csv: Dict[str, bool]) -> tuple:
    """Stages 1 and 2 at the receiving end: a partition's pieces from every range joined in row
    order and loaded, and its load figures (:func:`_load_stage`) taken while the pieces are in
    memory (one pass over the partitions fewer). The pieces are dropped after: the partition keeps
    its base alone. Returns (partition, load)."""
    specs = [None if n is None else _spec(n[0], n[1], _merged(p, o)) for n, p, o in zip(names, pieces, offsets)]
    specs.append(None)
    base = _rapport._piece_base(specs)  # the base loaded once, here, on the worker that keeps it
    return _Partition(base), _load_stage(base, specs, csv)


_RUN_BYTES = 8 * (len(_rapport.SCORE_COLUMNS) + 6 + 2)  # per scored customer: the columns, intervals, root key


try:  # dask's memory accounting: what the partition holds (the base, and its kept run if any)
    from dask.sizeof import sizeof as _sizeof

    @_sizeof.register(_Partition)
    def _partition_size(p: _Partition) -> int:
        return 64 + int(p.base._nbytes()) + sum(_RUN_BYTES * r.size for r in p._runs.values())
except ImportError:  # pragma: no cover
    pass


def _quiet(fn, *args):
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore", _r.RejectedRowsWarning)
        return fn(*args)


def _rejects(base, lines: Dict[str, Optional[tuple]]) -> _pd.DataFrame:
    """The base's rejects (rows numbered by row of the whole input table); for CSV input each
    row's physical line in its file, from the table's piece."""
    rej = base.rejects_frame()
    if rej.empty:
        return rej
    rej = rej.astype({"line": object})
    for table, piece in lines.items():
        mask = (rej["table"] == table).to_numpy()
        if piece is None or not mask.any():
            continue
        meta = piece[1]
        at = _np.searchsorted(meta[:, 0], rej.loc[mask, "row"].to_numpy(dtype=_np.int64))
        rej.loc[mask, "line"] = meta[at, 1]
    return rej


# ----------------------------------------------------------------------------- partition tasks


def _load_stage(base, specs: List[Optional[tuple]], csv: Dict[str, bool]) -> Dict[str, Any]:
    """Stage 2: a partition's as-of default, counts, rejects and accepted customers (their
    records, rows of the whole input, for the referral forest), from its base and the pieces
    (``specs``) it was loaded from."""
    lines = {t: (s[2], s[3]) if s is not None and csv.get(t) else None for t, s in zip(_TABLES, specs)}
    rej = _rejects(base, lines)
    counts = {t: (0 if s is None else len(s[3]), int((rej["table"] == t).sum())) for t, s in zip(_TABLES[:3], specs)}
    cu = specs[0]
    bad = _np.sort(rej.loc[rej["table"] == "customers", "row"].to_numpy(dtype=_np.int64))
    accepted = _rapport._merge_pieces([(cu[2], cu[3])], [], [int(r) for r in bad])
    return {"as_of_day": base._default_as_of_day, "accepted": accepted, "rejects": rej, "counts": counts}


def _referral_stage(customers: tuple, referrals: Optional[tuple], csv: bool) -> Dict[str, Any]:
    """Stage 2 for referrals: their rejects and the latest accepted referral date."""
    if referrals is None:
        return {"as_of_day": None, "rejects": _r._rejects_frame([]), "counts": {}}
    empty = (customers[0], customers[1], b"", _np.empty((0, 3), dtype=_np.int64))
    base = _quiet(_rapport._piece_base, [empty, None, None, referrals])
    rej = _rejects(base, {"referrals": (referrals[2], referrals[3]) if csv else None})
    return {"as_of_day": base._default_as_of_day, "rejects": rej, "counts": {"referrals": (len(referrals[3]), len(rej))}}


def _forest_base(customers: tuple, accepted: Sequence[tuple], referrals: Optional[tuple]):
    """Every accepted customer (in input order) with every referral edge: the forest's input."""
    merged = _rapport._merge_pieces(list(accepted))
    return merged, _quiet(_rapport._piece_base, [_spec(customers[0], customers[1], merged), None, None, referrals])


def _forest_stage(customers: tuple, loads: Sequence[Dict[str, Any]], referrals: Optional[tuple], day: int, cfg, nparts: int):
    """Stage 3: the acquisition forest over every customer and referral, cut into partitions
    (each partition's results in its accepted customers' input order)."""
    accepted = [a["accepted"] for a in loads]
    merged, base = _forest_base(customers, accepted, referrals)
    res = _rapport._referral_results(base, day, cfg)
    rows = merged[1][:, 0]
    owner = _np.empty(len(rows), dtype=_np.int64)
    at = _np.searchsorted(rows, _np.concatenate([a[1][:, 0] for a in accepted]))
    owner[at] = _np.repeat(_np.arange(nparts), [len(a[1]) for a in accepted])
    out = []
    for k in range(nparts):
        take = _np.flatnonzero(owner == k)
        given = {c: _np.asarray(v)[take] for c, v in res.items() if c != "root_id"}
        given["root_id"] = list(_np.asarray(res["root_id"])[take])
        out.append(given)
    return out


def _pattern_stage(part: _Partition, day: int, cfg_json: str, span: Optional[tuple] = None) -> Dict[str, Any]:
    """Stage 4: a partition's value-model inputs, computed in C++ without scoring it
    (``_rapport._value_parts``: score's own purchase walk and (x, t_x, T, m), nothing else):
    its span (``auto``'s holdout is planned from the merged spans), BG/NBD's and Gamma-Gamma's
    distinct patterns with their customer counts, and, given the whole base's ``span``, its merged
    purchase-model inputs (``inputs``, ``_rapport`` bytes)."""
    return _rapport._value_parts(part.base, day, _r.ScoringConfig.from_json(cfg_json), span)


def _inputs_stage(part: _Partition, day: int, cfg_json: str, span: tuple) -> bytes:
    """Stage 4 for ``auto`` once the whole base's span is known: the partition's merged inputs
    (the candidates' calibration rows at the holdout cut, holdout repeat purchases, full inputs)."""
    return _pattern_stage(part, day, cfg_json, span)["inputs"]


_NO_SPAN = (False, 2**31 - 1, -(2**31))


def _partition_run(part: _Partition, given: Dict[str, Any], day: int, cfg_json: str):
    """A partition's score run by the one score path with given referrals and parameters."""
    return _rapport._score_partition(part.base, day, _r.ScoringConfig.from_json(cfg_json), given)


def _score_stage(part: _Partition, given: Dict[str, Any], day: int, cfg_json: str, draws: Optional[dict] = None) -> _np.ndarray:
    """Stage 5: a partition scored by the one score path with given referrals and parameters (with
    ``draws``, the intervals' parameter draws, its interval columns). The run stays with the
    partition on its worker; its up-serve values (the global ranks' input) are returned."""
    return part.scored(given, day, cfg_json, draws).upserve_values()


def _scores_frame(part: _Partition, given: Dict[str, Any], day: int, cfg_json: str, draws: Optional[dict],
                  upserve_score: Optional[_np.ndarray]) -> _pd.DataFrame:
    """The partition's scores as a DataFrame from its kept run (copied: the run stays whole for a
    write), with the global up-serve ranks when given."""
    df = _pd.DataFrame(dict(part.scored(given, day, cfg_json, draws).take_columns(keep=True)), copy=False)
    if upserve_score is not None:
        df["upserve_score"] = upserve_score
    return df


def _write_stage(part: _Partition, given: Dict[str, Any], day: int, cfg_json: str, draws: Optional[dict],
                 upserve_score: Optional[_np.ndarray], path: str) -> int:
    """A partition's scores written by rapport's score writer from its kept run, with the global
    up-serve ranks."""
    run = part.scored(given, day, cfg_json, draws)
    run.write_csv(path, upserve_score)
    return run.size


def _interval_stage(part: _Partition, day: int, cfg_json: str) -> dict:
    """Stage 4c (intervals on): a partition's interval patterns under the model it scores with
    (each scored customer's purchase and spend inputs), computed in C++ without scoring it."""
    return _rapport._value_interval_patterns(part.base, day, _r.ScoringConfig.from_json(cfg_json))


# --------------------------------------------------------------------------------- placement


def _holders(parts: Sequence[Any]) -> Optional[List[Optional[str]]]:
    """Per persisted partition the address of a worker holding it, asked of the scheduler once
    every partition is in memory (a lost one recomputed first; None for one that failed); None
    when the scheduler is not a ``distributed`` client (the local schedulers run every task in one
    process: nothing to pin)."""
    try:
        from distributed import Client, futures_of, wait

        client = getattr(_dask.base.get_scheduler(), "__self__", None)
    except (ImportError, ValueError):  # no distributed, or its scheduler named with no client to run it
        return None
    if not isinstance(client, Client):
        return None
    futures = [futures_of(p) for p in parts]
    wait([f for fs in futures for f in fs])  # the tasks after need them anyway
    who = client.who_has([f for fs in futures for f in fs])
    return [next((sorted(who.get(f.key) or ())[0] for f in fs if who.get(f.key)), None) for fs in futures]


def _alive(where: Optional[List[Optional[str]]]) -> bool:
    """Whether every worker of ``where`` (:func:`_holders`) is still in the cluster (the
    scheduler's worker list as the client last heard it; no holders asked). True for a local
    scheduler's ``None``; False where a partition had no holder."""
    if not isinstance(where, list):
        return where is None  # None: a local scheduler's; anything else: no holders asked yet
    try:
        from distributed import Client

        client = getattr(_dask.base.get_scheduler(), "__self__", None)
    except (ImportError, ValueError):
        return False
    if not isinstance(client, Client):
        return False
    live = client.scheduler_info()["workers"]
    return all(w is not None and w in live for w in where)


def _on(where: Optional[List[Optional[str]]], k: int):
    """Tasks built inside run on the worker holding partition ``k`` (``where``: :func:`_holders`),
    so the partition does not move for them (a moved partition is transferred, hundreds of MB, and
    scored again). A loose restriction: where that worker is gone, the scheduler runs them on
    another one (the partition recomputed from its lineage) rather than wait for it."""
    if where is None or where[k] is None:
        return _contextlib.nullcontext()
    return _dask.annotate(workers=[where[k]], allow_other_workers=True)


def _pinned(where: Optional[List[Optional[str]]], k: int, fn, *args, **kwargs):
    """``delayed(fn)(*args)`` pinned to partition ``k``'s worker (:func:`_on`)."""
    with _on(where, k):
        return _delayed(fn, **kwargs)(*args)


def _each_pinned(parts: Sequence[Any], fn, *args) -> List[Any]:
    """``delayed(fn)(part, *args)`` for each partition, on the worker holding it now."""
    where = _holders(parts)
    return [_pinned(where, k, fn, p, *args) for k, p in enumerate(parts)]


# ------------------------------------------------------------------------------------ up-serve


def _native(name: str, *args):
    """``_rapport.<name>(*args)`` in a task: dask pickles a task's function by reference, which the
    extension's functions do not allow."""
    return getattr(_rapport, name)(*args)


def _rank(scored: List[Any], nparts: int, where: Optional[List[Optional[str]]] = None) -> List[Any]:
    """Stage 6: the tasks of the global up-serve percentiles (``rapport::detail`` in
    ``src/scoring/ranks.*``: samples, bucket bounds, per-bucket ranks, the assignment — every
    figure computed in C++, the same bits as one process's ``mid_ranks``). Each partition's
    sample, split and assignment run on its worker (``where``: :func:`_holders`)."""
    sampled = _dask.compute(*[_pinned(where, k, _native, "_rank_sample", s) for k, s in enumerate(scored)])
    bounds = _rapport._rank_bounds([q for _, q in sampled], sum(size for size, _ in sampled), nparts)
    nbuckets = len(bounds) + 1
    splits = [_pinned(where, k, _native, "_split_by_bucket", s, bounds, nout=nbuckets) for k, s in enumerate(scored)]
    buckets = [_delayed(_native)("_bucket_ranks", [sp[b] for sp in splits]) for b in range(nbuckets)]
    counts = [r[0] for r in buckets]
    return [_pinned(where, k, _native, "_assign_ranks", s, bounds, counts, [r[1][k] for r in buckets])
            for k, s in enumerate(scored)]


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
        self._scores, self._scores_where = scores, False  # False: no holders asked yet
        self.purchase_model = purchase_model or "bgnbd"
        self._inputs = inputs  # what summary() recomputes from (delayed partitions, day, configs)
        self.rejects = rejects
        self.as_of = as_of
        self.bgnbd = bgnbd
        self.gamma_gamma = gamma_gamma
        self.counts = counts
        self.partitions = partitions

    @property
    def scores(self):
        """One row per scored customer (see the class's attributes): each partition's task pinned
        to the worker holding the partition when the frame was made. The same frame is given
        while every worker it was pinned to is alive; the holders are asked again (and the frame
        made again) only when one has left."""
        i = self._inputs
        if i is None or "scores" not in i:
            return self._scores
        if self._scores is None or not _alive(self._scores_where):
            where = _holders(i["parts"])
            self._scores, self._scores_where = i["scores"](where), where
        return self._scores

    def to_csv(self, directory: str) -> int:
        """Writes the scores as one CSV file per partition (``part-00000.csv``, …) in `directory`.

        Each partition's task writes its file with rapport's own score writer (the spelling of
        ``rapport score --out``, each file atomically), from the partition's score run kept on its
        worker (scored once with the models), with the global up-serve ranks. Returns the number of rows written.
        """
        _os.makedirs(directory, exist_ok=True)
        i = self._inputs
        where = _holders(i["parts"])
        tasks = [_pinned(where, k, _write_stage, i["parts"][k], i["forest"][k], i["day"], i["run_json"], i["draws"],
                         i["ranks"][k], _os.path.join(directory, f"part-{k:05d}.csv"))
                 for k in range(self.partitions)]
        return int(sum(_dask.compute(*tasks)))


def _run_cuts(cuts: Sequence[Any]) -> tuple:
    """Range tasks run on the workers, each split at once into its outputs, persisted one key per
    piece: a range's tuple is released as soon as its pieces are taken, so under a memory limit a
    piece spills and comes back alone — not the whole range (64 MB) once for each of the P
    partitions that take a piece of it. Returns per range [info, piece 0, ..., piece P-1] and
    the infos (rows, regular, start, stop, quotes, lines)."""
    keys = [[c[j] for j in range(len(c))] for c in cuts]
    flat = _dask.persist(*[k for ks in keys for k in ks])
    out, at = [], 0
    for ks in keys:
        out.append(list(flat[at:at + len(ks)]))
        at += len(ks)
    return out, list(_dask.compute(*[o[0] for o in out]))


def _cut_inputs(tables: Dict[str, Any], nparts: int) -> tuple:
    """Stage 1: every table's range tasks run (persisted on the workers) in one pass assuming even
    quote parity at every cut; a range the counts show starting inside quotes is cut again. The
    row counts give each range's first global row, the line-break counts its first line. A CSV
    table whose cuts met a quote the cut rule cannot place (a stray '"' inside an unquoted
    field) is read again one range per file."""
    inputs = {t: _Input(t, f, 1 if t == "referrals" else nparts) for t, f in tables.items() if f is not None}
    while True:
        flat = [c for i in inputs.values() for c in i.cuts]
        persisted, infos = _run_cuts(flat)
        at = 0
        for i in inputs.values():
            i.cuts, i.infos = persisted[at:at + len(i.cuts)], infos[at:at + len(i.cuts)]
            at += len(i.cuts)
            i.line_offsets = [0] * len(i.cuts)
            if i.db:  # a range's lines are its rows from 1: shifted by the rows of the ranges before
                i.line_offsets = [int(n) for n in _np.cumsum([0] + [info[0] for info in i.infos[:-1]])]
                continue
            if not i.csv:
                continue
            parity, lines = _range_starts(i.source, i.infos)
            i.line_offsets = [line - 1 for line in lines]
            wrong = [r for r, q in enumerate(parity) if q]
            if wrong:  # cut again, now knowing they start inside quotes
                again, again_infos = _run_cuts([c for r, c in enumerate(_csv_cuts(i.source, i.parts, parity)) if r in wrong])
                for r, c, info in zip(wrong, again, again_infos):
                    i.cuts[r], i.infos[r] = c, info
        broken = [i for i in inputs.values() if i.csv and not i.db and i.source.npartitions > len(i.source.files)
                  and not all(info[1] for info in i.infos)]
        if not broken:
            break
        for i in broken:
            i.recut_whole_files()
    offsets = {t: (_np.concatenate([[0], _np.cumsum([info[0] for info in i.infos])]).astype(_np.int64), i.line_offsets)
               for t, i in inputs.items()}
    return inputs, offsets


def _fit(kind: str, merged: Dict[str, Any], cfg) -> Dict[str, Any]:
    """One value model from the whole base's merged patterns (``_rapport._merge_value_parts``):
    the distinct patterns with their customer counts as weights, fitted by the weighted C++ fit
    (the same bits as the fit of the rows repeated by their counts, which one machine fits)."""
    *cols, weight = merged[kind]
    given = getattr(cfg, kind)
    customers = int(weight.sum())
    info: Dict[str, Any] = {"fitted": False, "customers": customers, "error": None}
    if given is not None:
        info.update(given)
        return info
    fit = cfg.fit
    opts = (int(fit["max_iterations"]), float(fit["gradient_tolerance"]), int(fit["min_customers"]))
    what = (f"BG/NBD fit over {customers} scored customers with purchases" if kind == "bgnbd"
            else f"Gamma-Gamma fit over {customers} repeat buyers")
    try:
        if kind == "bgnbd":
            params = _rapport._fit_bgnbd(*cols, *opts, weight=weight)
        else:
            params = _rapport._fit_gamma_gamma(*cols, *opts, weight=weight)
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
    customers, contacts, purchases, referrals : CsvTable or dask.dataframe.DataFrame
        The input tables: :func:`read_csv`'s byte-range tables, or dask DataFrames with the CSV
        columns partitioned any way (each partition written as CSV text and read by the same
        reader: values are taken in their CSV spelling). contacts, purchases and referrals may
        be None.
    as_of : date-like, optional
        The as-of date; default the latest date among the accepted rows (a global reduction).
    config : ScoringConfig, dict or JSON text, optional
        As for :func:`rapport.score`.
    npartitions : int, optional
        Customer-hash partitions (default: the most ranges or partitions of any input table): a positive
        whole number; anything else raises ValueError (TypeError when it is not a number). Under a
        memory limit, fewer partitions of about 200–300 MB of input each cost the scheduler fewer
        tasks (docs/dask.md, "Where it stands"); each must fit in a worker's memory while it is built.

    Returns
    -------
    DaskRun
        The ``scores`` and ``rejects`` frames and the run's as-of date, models and counts. This
        call computes (persists on the workers) the range reads, the partitions (each with its
        CustomerBase), the loads, the referral forest, the pattern counts and — when value at
        stake is known — the partition scores, whose up-serve values the global ranking needs;
        the ranking and the rejects stay lazy.
    """
    cfg = _r._config(config, None)
    # another purchase model than BG/NBD by its own fit: merged inputs gathered, fitted once in C++
    other_model = cfg.value_model != "bgnbd" or (cfg.penalizer > 0 and cfg.bgnbd is None)
    day = _r._day(as_of, "as_of")
    tables = {"customers": customers, "contacts": contacts, "purchases": purchases, "referrals": referrals}
    nparts = (_partition_count(npartitions) if npartitions is not None
              else max(f.npartitions for f in (customers, contacts, purchases) if f is not None))
    # stage 1: native range reads, split by customer hash into compact pieces; each partition
    # joins its pieces and loads its CustomerBase once, kept on its worker for every stage
    inputs, offsets = _cut_inputs(tables, nparts)
    routed = [inputs.get(t) for t in _TABLES[:3]]
    names = [None if i is None else (i.name, i.header) for i in routed]
    csv = {t: i.csv for t, i in inputs.items()}
    made = [_delayed(_make_partition, nout=2)(names, [None if i is None else i.piece(k) for i in routed],
                                              [None if i is None else offsets[i.table] for i in routed], csv)
            for k in range(nparts)]
    persisted = _dask.persist(*[m[0] for m in made], *[m[1] for m in made])
    parts, loads = persisted[:nparts], persisted[nparts:]
    made = persisted = None
    ref = inputs.get("referrals")
    ref_piece = (None if ref is None else
                 _delayed(lambda p, o, n, h: _spec(n, h, _merged(p, o)))(ref.piece(0), offsets["referrals"], ref.name, ref.header))
    cu_name = names[0]
    ref_piece, ref_load = _dask.persist(ref_piece, _delayed(_referral_stage)(cu_name, ref_piece, csv.get("referrals", False)))
    # the range pieces are needed only until the partitions are built: the scheduler keeps them for
    # their pending dependents and frees them after, so the input is held once, not twice
    inputs = routed = ref = None
    small = _dask.compute([_delayed(lambda a: (a["as_of_day"], a["counts"]))(a) for a in loads] + [
        _delayed(lambda a: (a["as_of_day"], a["counts"]))(ref_load)])[0]
    days = [d for d, _ in small if d is not None]
    counts: Dict[str, List[int]] = {}
    for _, c in small:
        for t, (n, bad) in c.items():
            if tables[t] is None:
                continue
            acc = counts.setdefault(t, [0, 0])
            acc[0] += n
            acc[1] += bad
    if day is None:
        if not days:
            raise _r.InputError("empty customer base: nothing to score and no as-of date")
        day = max(days)

    # computed once and kept (score, summary and write all take a partition's results)
    whole_forest = _delayed(_forest_stage)(cu_name, list(loads), ref_piece, day, cfg, nparts)
    forest = list(_dask.persist(*[_delayed(_operator.getitem)(whole_forest, k) for k in range(nparts)]))
    cfg_json = cfg.to_json()
    # stage 4: for auto the holdout is cut at the whole base's span, so its inputs take a second pass
    planned = cfg.value_model == "auto"
    first_span = None if (planned or not other_model) else _NO_SPAN
    # every later per-partition task runs on the worker holding the partition (asked again before
    # each stage: a lost partition is recomputed wherever the scheduler puts it)
    patterns = list(_dask.compute(*_each_pinned(parts, _pattern_stage, day, cfg_json, first_span)))
    merged = _rapport._merge_value_parts(patterns)  # the whole base's span and fit patterns, merged in C++
    gamma_gamma = _fit("gamma_gamma", merged, cfg)
    value_fit = None
    if other_model:
        span = merged["span"] if planned else _NO_SPAN
        value_parts = (list(_dask.compute(*_each_pinned(parts, _inputs_stage, day, cfg_json, span)))
                       if planned else [p["inputs"] for p in patterns])
        value_fit = _rapport._fit_purchase_model(cfg, span, value_parts)
    if value_fit is None or value_fit.own_bgnbd_fit:
        bgnbd = _fit("bgnbd", merged, cfg)
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
        interval_parts = list(_dask.compute(*_each_pinned(parts, _interval_stage, day, run_json)))
        draws = _rapport._interval_draws(interval_parts, cfg, not gamma_gamma["error"])
    # each partition scored once with the models: the run stays with the partition on its worker
    # for the frame, the write and the summary; its up-serve values go to the global ranks
    ranks = [None] * nparts
    if not (purchase_error or gamma_gamma["error"]):
        where = _holders(parts)
        values = list(_dask.persist(*[_pinned(where, k, _score_stage, parts[k], forest[k], day, run_json, draws)
                                      for k in range(nparts)]))
        ranks = _rank(values, nparts, where)
    meta = _pd.DataFrame({c: _pd.Series([], dtype=t) for c, t in _score_meta(cfg.intervals > 0).items()})

    def scores(where: Optional[List[Optional[str]]]):
        """The scores frame, each partition's task on its worker (``where``: :func:`_holders`)."""
        return _dd.from_delayed([_pinned(where, k, _scores_frame, parts[k], forest[k], day, run_json, draws, ranks[k])
                                 for k in range(nparts)], meta=meta, verify_meta=False)

    rej_meta = _r._rejects_frame([])
    rej_parts = [_delayed(lambda a: a["rejects"])(a) for a in loads] + [_delayed(lambda a: a["rejects"])(ref_load)]
    rejects_df = _dd.from_delayed(rej_parts, meta=rej_meta, verify_meta=False)
    state = {"parts": parts, "forest": forest, "loads": loads, "customers": cu_name, "referrals": ref_piece, "day": day,
             "run_json": run_json, "cfg": cfg, "value_fit": value_fit, "draws": draws, "ranks": ranks, "scores": scores}
    return DaskRun(None, rejects_df, _r._date(day), bgnbd, gamma_gamma, {t: tuple(v) for t, v in counts.items()}, nparts,
                   state, None if value_fit is None else value_fit.model)


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


def _summary_stage(part: _Partition, given: Dict[str, Any], load: Dict[str, Any], day: int, cfg_json: str,
                   draws: Optional[dict]) -> bytes:
    """A partition's part of the summary (``rapport::summary_partial``) from its kept score run: its
    counts and exact sums, and per scored customer its row of the whole input, segment, loyalty
    given and expected value."""
    run = part.scored(given, day, cfg_json, draws)
    # the partition's base holds its accepted customers in input order (their rows of the whole
    # input); the run picks those it scored
    return run.summary_partial(base_rows=load["accepted"][1][:, 0].astype(_np.uint64))


def _forest_summary(customers: tuple, loads: Sequence[Dict[str, Any]], referrals: Optional[tuple], day: int, cfg_json: str) -> bytes:
    """The referral figures' part of the summary and the referral rows' counts and rejects, from one
    task over every accepted customer and referral (the inputs of the forest of stage 3)."""
    _, base = _forest_base(customers, [a["accepted"] for a in loads], referrals)
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
    where = _holders(i["parts"])
    stages = [_pinned(where, k, _summary_stage, i["parts"][k], i["forest"][k], i["loads"][k], i["day"], i["run_json"],
                      i["draws"]) for k in range(run.partitions)]
    referrals = _delayed(_forest_summary)(i["customers"], list(i["loads"]), i["referrals"], i["day"], i["cfg"].to_json())
    parts, ref = _dask.compute(list(stages), referrals)
    return _json.loads(_rapport._finish_summary(list(parts) + [ref], run.bgnbd, run.gamma_gamma, i["cfg"], i["value_fit"]))


def _bytes(blocksize: Any) -> Optional[int]:
    """A block size in bytes: an int, a size such as "64MB" or "64MiB", or None (one range per file)."""
    if blocksize is None or isinstance(blocksize, (int, _np.integer)) and not isinstance(blocksize, bool):
        if blocksize is not None and blocksize < 1:
            raise ValueError(f"blocksize must be positive, not {blocksize!r}")
        return None if blocksize is None else int(blocksize)
    if isinstance(blocksize, str):
        from dask.utils import parse_bytes

        return _bytes(parse_bytes(blocksize))
    raise TypeError(f"blocksize must be a number of bytes, a size string or None, not {blocksize!r}")


def read_csv(path: str, blocksize: Any = "64MB") -> Dict[str, Optional[CsvTable]]:
    """The input tables of a directory (or a glob of directories), cut into byte ranges.

    Nothing is read here but the headers: each range is parsed later, in its own task, by
    rapport's CSV reader (the same field and row rules as :func:`rapport.load_dir`). Cuts fall on
    record boundaries, also inside quoted fields holding line breaks (found by the parity of the
    quotes before the cut); a quote the parity cannot place (a stray ``"`` inside an unquoted
    field) makes that table read one range per file, with the same result. Several directories
    give each table's rows one after another, in sorted directory order.

    Parameters
    ----------
    path : str
        A directory holding customers.csv (and contacts.csv, purchases.csv, referrals.csv), or a
        glob matching several.
    blocksize : int, str or None
        Bytes per range (``"64MB"``; None: one range per file).

    Returns
    -------
    dict
        ``{'customers', 'contacts', 'purchases', 'referrals'}`` of :class:`CsvTable`; a table
        without files is None.
    """
    size = _bytes(blocksize)
    dirs = sorted(_glob.glob(path)) if any(ch in path for ch in "*?[") else [path]
    out: Dict[str, Optional[CsvTable]] = {}
    for table in _TABLES:
        files = [f for d in dirs for f in [_os.path.join(d, table + ".csv")] if _os.path.exists(f)]
        out[table] = CsvTable(table, files, size) if files else None
    if out["customers"] is None:
        raise _r.InputError(f"{path}: no customers.csv")
    return out


def read_db(uri: str, tables: Optional[Dict[str, str]] = None, blocksize: Any = "64MB") -> DbSnapshot:
    """The input tables of a database, cut into ranges read in one snapshot.

    PostgreSQL: a connection opens a REPEATABLE READ READ ONLY transaction and exports its
    snapshot (``pg_export_snapshot()``), held open until :meth:`DbSnapshot.close`; each table is
    cut into ranges of its heap pages (``ctid >= '(lo,0)' AND ctid < '(hi,0)'``, TID range scans;
    before PostgreSQL 14 every table is one range), and each range is read later, in its own task, on a connection of its own
    that imports the snapshot (``SET TRANSACTION SNAPSHOT``) — with the same COPY and the same
    value spellings as :func:`rapport.load_db`, the range one more WHERE clause. So every range
    sees one consistent database, and the rows, rejects and scores equal those of
    ``rapport.score(rapport.load_db(uri))``: load_db reads a table in physical (ctid) order, and the
    ranges' rows one range after another are that order. A view, a foreign or a partitioned table
    and a table with inheritance children are read whole in one task. While open, the snapshot
    holds back VACUUM in the whole database: close it once done. SQLite (``sqlite:PATH``, a file
    every worker can open): SQLite cannot share a snapshot between connections, so every table is
    read whole in one task, in one read transaction, and then split by customer; the handle holds
    no transaction, so the read reflects the file as it is when that task runs.

    Parameters
    ----------
    uri : str
        ``sqlite:PATH`` or a PostgreSQL URI / libpq connection string (it is passed to every
        range task, so it is in the task graph).
    tables : dict, optional
        Table names, as for :func:`rapport.load_db` (e.g. ``{"customers": "crm.clients"}``):
        plain, optionally schema-qualified identifiers. Only ``customers`` must exist.
    blocksize : int, str or None
        Bytes of heap per range (``"64MB"``; pages of 8 kB, at least one page per range; None:
        one range per table).

    Returns
    -------
    DbSnapshot
        ``{'customers', 'contacts', 'purchases', 'referrals'}`` of :class:`DbTable` (None for a
        table that does not exist), to pass to :func:`score_run` as :func:`read_csv`'s tables
        are; also the snapshot's handle: use it as a context manager (``with read_db(uri) as
        tables: ...``) or call ``close()`` once every run reading it is done.

    Raises
    ------
    InputError
        The database cannot be opened (the message never shows a password), the customers table
        is missing, or the server cannot export a snapshot (a standby).
    ConfigError
        A table name is not a plain identifier (checked before connecting).
    """
    size = _bytes(blocksize)
    return DbSnapshot(uri, tables, None if size is None else max(1, size // _BLOCK))
