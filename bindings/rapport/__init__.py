"""rapport: score a company's customer relationships.

Per customer and for the whole base, rapport computes

* **loyalty given** -- how loyal the business has been *to* the customer,
* **up-serve opportunity** -- where serving a customer better would pay off most, and
* **referral potential** -- how likely a customer is to refer others now, and how far their
  referral chains reach.

DataFrames go in, DataFrames come out; the scoring runs in C++ with the GIL released.

Examples
--------
>>> import rapport
>>> scores = rapport.score(customers, contacts, purchases, referrals, as_of="2026-06-30")
>>> scores.sort_values("upserve_value", ascending=False).head(10)
>>> rapport.summary(customers, contacts, purchases, referrals)["loyalty_given"]["overall"]
"""

from __future__ import annotations

import datetime as _dt
import json as _json
import os as _os
import warnings as _warnings
from collections.abc import Mapping as _Mapping
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Union

import numpy as _np
import pandas as _pd

from . import _rapport
from ._rapport import (
    ASPECTS,
    CHANNELS,
    INITIATORS,
    LOYALTY_COMPONENTS,
    REFERRAL_COMPONENTS,
    SCORE_COLUMNS,
    STAGES,
    ConfigError,
    CustomerBase,
    FitError,
    InputError,
    ScoringConfig,
    format_number,
)

__version__: str = _rapport.__version__

__all__ = [
    "ASPECTS",
    "CHANNELS",
    "INITIATORS",
    "LOYALTY_COMPONENTS",
    "REFERRAL_COMPONENTS",
    "SCORE_COLUMNS",
    "STAGES",
    "ConfigError",
    "CustomerBase",
    "DataError",
    "FitError",
    "InputError",
    "RejectedRowsWarning",
    "Result",
    "Scorer",
    "ScoringConfig",
    "ValueModelWarning",
    "bgnbd_expected_purchases",
    "bgnbd_p_alive",
    "explain",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "format_number",
    "gamma_gamma_expected_spend",
    "generate",
    "history",
    "generate_csv",
    "katz_reach",
    "load",
    "load_db",
    "load_dir",
    "pagerank",
    "plot",
    "report",
    "run",
    "score",
    "score_db",
    "score_dir",
    "summary",
    "trend",
]
from .value import ValueModel, fit_value_model  # noqa: E402  (re-exported; rapport/value.py)
__all__ += ["ValueModel", "fit_value_model"]

InputError.__doc__ = """Unusable input as a whole (a ValueError).

Raised for a missing customers file, an unreadable file, a missing required CSV column, an
invalid ``as_of`` string or an empty customer base.
"""
FitError.__doc__ = """A value model could not be fitted (a RuntimeError).

Raised by :func:`fit_bgnbd` / :func:`fit_gamma_gamma`, and by the scoring functions only with
``strict=True``, when BG/NBD or Gamma-Gamma has too few customers, no repeat buyer, does not
converge, or lands outside the model's domain. Without ``strict`` the run still scores every
customer (value columns NaN) and warns with :class:`ValueModelWarning`. Pass fixed parameters
with ``ScoringConfig.bgnbd`` / ``ScoringConfig.gamma_gamma`` to score value at stake anyway.
"""
ConfigError.__doc__ = """A setting outside its documented domain, or an unknown setting (a ValueError).

The message names the field, e.g. ``config: period_days must be >= 1 and <= 36500 (got 1e-06)``.
Raised by the :class:`ScoringConfig` constructor, every attribute assignment (the old value is
kept), :meth:`ScoringConfig.from_json` and the scoring functions.
"""


class ValueModelWarning(UserWarning):
    """A value model (BG/NBD or Gamma-Gamma) could not be fitted: value at stake is unknown.

    The scores are complete except ``p_alive`` / ``expected_purchases`` (without BG/NBD) and
    ``expected_value`` / ``upserve_value`` / ``upserve_score`` (without either model), which are
    NaN. Pass ``strict=True`` to raise :class:`FitError` instead.
    """


class DataError(InputError):
    """Rows were rejected while ``strict=True`` (an :class:`InputError`, hence a ValueError).

    Attributes
    ----------
    rejects : list of dict
        Every rejected row: ``table``, ``row`` (0-based position in the DataFrame, None for CSV
        input), ``column`` (name, None for the whole row), ``reason``, ``file``, ``line`` (CSV
        line, None for DataFrames), ``column_number`` and ``raw``.
    """

    def __init__(self, message: str, rejects: Sequence[Dict[str, Any]] = ()) -> None:
        super().__init__(message)
        self.rejects: List[Dict[str, Any]] = list(rejects)

    def rejects_frame(self) -> _pd.DataFrame:
        """The rejected rows as a DataFrame.

        Returns
        -------
        pandas.DataFrame
            One row per rejected input row, columns table, row, column, reason, file, line,
            column_number, raw.
        """
        return _rejects_frame(self.rejects)


class RejectedRowsWarning(UserWarning):
    """Some input rows were rejected (and left out); pass ``strict=True`` to make it an error."""


class Result(NamedTuple):
    """Everything one scoring run produces (see :func:`run`).

    Attributes
    ----------
    scores : pandas.DataFrame
        The per-customer scores, as :func:`score` returns them.
    summary : dict
        The base-wide summary, as :func:`summary` returns it.
    explanations : list of dict or None
        One explanation per scored customer (as :func:`explain`), or None when not asked for.
    """

    scores: _pd.DataFrame
    summary: Dict[str, Any]
    explanations: Optional[List[Dict[str, Any]]]


_EPOCH = _dt.date(1970, 1, 1)
_REJECT_COLUMNS = ["table", "row", "column", "reason", "file", "line", "column_number", "raw"]

# table -> (required columns, optional columns); column -> kind
_TABLES = {
    "customers": (("customer_id", "acquired_on"), ("segment",)),
    "contacts": (
        ("customer_id", "at", "channel", "stage", "initiator", "aspect", "impression", "complaint", "resolved_at"),
        (),
    ),
    "purchases": (("customer_id", "at", "amount"), ()),
    "referrals": (("referrer_id", "referred_id", "at"), ()),
}
_KINDS = {
    "customer_id": "text",
    "segment": "text",
    "referrer_id": "text",
    "referred_id": "text",
    "channel": "text",
    "stage": "text",
    "initiator": "text",
    "aspect": "text",
    "acquired_on": "time",
    "at": "time",
    "resolved_at": "time",
    "impression": "number",
    "amount": "number",
    "complaint": "number",
}

Frame = Union[_pd.DataFrame, _Mapping]
CustomersArg = Union[_pd.DataFrame, _Mapping, CustomerBase, str, "_os.PathLike[str]"]
ConfigArg = Union[ScoringConfig, _Mapping, str, None]


# ---------------------------------------------------------------------------------------------
# input conversion


def _rejects_frame(rejects: Sequence[Dict[str, Any]]) -> _pd.DataFrame:
    return _pd.DataFrame(list(rejects), columns=_REJECT_COLUMNS)


def _objects(s: _pd.Series) -> _np.ndarray:
    """A private, contiguous object array of the column's values."""
    return _np.ascontiguousarray(s.to_numpy(dtype=object, copy=True))


def _column_array(s: _pd.Series, table: str, name: str) -> _np.ndarray:
    kind = _KINDS[name]
    dtype = s.dtype
    if kind == "text":
        return _objects(s)
    if kind == "time":
        if isinstance(dtype, _pd.DatetimeTZDtype):
            return s.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
        if _pd.api.types.is_datetime64_dtype(dtype):
            return s.to_numpy(dtype="datetime64[ns]")
        if _pd.api.types.is_object_dtype(dtype) or _pd.api.types.is_string_dtype(dtype) or isinstance(
            dtype, _pd.CategoricalDtype
        ):
            return _objects(s)
        if (_pd.api.types.is_numeric_dtype(dtype) or _pd.api.types.is_bool_dtype(dtype)) and bool(s.isna().all()):
            return _np.full(len(s), None, dtype=object)  # e.g. an all-empty CSV column read as float NaN
        raise TypeError(f"{table}: column '{name}' must hold datetimes or ISO-8601 strings, not {dtype}")
    # numbers and flags
    if isinstance(dtype, _np.dtype) and dtype.kind in "biuf":
        return s.to_numpy()
    return _objects(s)


def _prepare_table(frame: Any, table: str) -> Optional[tuple]:
    """(rows, {column: (1-based position, array)}) for the C++ builder, or None."""
    if frame is None:
        return None
    if not isinstance(frame, _pd.DataFrame):
        if isinstance(frame, _Mapping):
            frame = _pd.DataFrame(dict(frame))
        else:
            raise TypeError(f"{table}: expected a pandas DataFrame or a mapping of columns, not {type(frame).__name__}")
    required, optional = _TABLES[table]
    columns: Dict[str, tuple] = {}
    for name in required + optional:
        if name not in frame.columns:
            if name in required:
                raise ValueError(f"{table}: missing required column '{name}'")
            continue
        loc = frame.columns.get_loc(name)
        if not isinstance(loc, int):
            raise ValueError(f"{table}: column '{name}' appears more than once")
        columns[name] = (loc + 1, _column_array(frame.iloc[:, loc], table, name))
    return (len(frame), columns)


def _coerce_time(value: Any) -> Optional[_dt.datetime]:
    """Converts an odd time value (numpy.datetime64, ...) to a naive UTC datetime, or None."""
    ts = _pd.Timestamp(value)
    if ts is _pd.NaT:
        return None
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.to_pydatetime(warn=False)


def _reject_text(r: Dict[str, Any]) -> str:
    where = f"{r['file']}:{r['line']}" if r.get("line") is not None else f"{r['table']} row {r['row']}"
    column = f" (column {r['column']})" if r.get("column") else ""
    return f"{where}: {r['reason']}{column}"


def _check_rejects(base: CustomerBase, strict: bool, stacklevel: int = 3) -> None:
    n = base.rejected
    if not n:
        return
    rejects = base.rejects
    first = _reject_text(rejects[0]) if rejects else ""
    message = f"{n} rejected input row{'s' if n != 1 else ''}; first: {first}"
    if strict:
        raise DataError(message, rejects)
    _warnings.warn(message + " (see CustomerBase.rejects or pass strict=True)", RejectedRowsWarning, stacklevel=stacklevel)


def _day(value: Any, what: str) -> Optional[int]:
    """Days since 1970-01-01 of a date-like value (None stays None)."""
    if value is None:
        return None
    if isinstance(value, str):
        day = _rapport.parse_date(value)
        if day is None:
            raise InputError(f"{what}: not a valid YYYY-MM-DD date: {value!r}")
        return day
    if value is _pd.NaT:
        raise ValueError(f"{what}: NaT is not a date")
    if isinstance(value, _pd.Timestamp):
        if value.tzinfo is not None:
            value = value.tz_convert("UTC")
        return (value.date() - _EPOCH).days
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.timezone.utc)
        return (value.date() - _EPOCH).days
    if isinstance(value, _dt.date):
        return (value - _EPOCH).days
    if isinstance(value, _np.datetime64):
        if _np.isnat(value):
            raise ValueError(f"{what}: NaT is not a date")
        return int(value.astype("datetime64[D]").astype(_np.int64))
    raise TypeError(
        f"{what}: expected a date (datetime.date, datetime.datetime, numpy.datetime64, pandas.Timestamp "
        f"or 'YYYY-MM-DD'), not {type(value).__name__}"
    )


def _date(day: int) -> _dt.date:
    return _EPOCH + _dt.timedelta(days=int(day))


def _config(config: ConfigArg, threads: Optional[int]) -> ScoringConfig:
    if config is None:
        cfg = ScoringConfig()
    elif isinstance(config, ScoringConfig):
        cfg = config.copy()
    elif isinstance(config, _Mapping):
        cfg = ScoringConfig(**dict(config))
    elif isinstance(config, str):
        cfg = ScoringConfig.from_json(config)
    else:
        raise TypeError(f"config: expected a ScoringConfig, a dict or JSON text, not {type(config).__name__}")
    if threads is not None:
        cfg.threads = threads  # validated by the setter (ConfigError, a ValueError)
    return cfg


def _resolve(customers: Any, contacts: Any, purchases: Any, referrals: Any, strict: bool) -> CustomerBase:
    """A CustomerBase from whatever `score` & co. were given."""
    others = (contacts, purchases, referrals)
    if isinstance(customers, CustomerBase):
        if any(t is not None for t in others):
            raise TypeError("contacts, purchases and referrals cannot be given together with a CustomerBase")
        if strict and customers.rejected:
            _check_rejects(customers, True)
        return customers
    if isinstance(customers, (str, _os.PathLike)):
        path = _os.fspath(customers)
        if _os.path.isdir(path):
            if any(t is not None for t in others):
                raise TypeError("contacts, purchases and referrals cannot be given together with a directory")
            return _load_files(_rapport._input_files(path), strict, stacklevel=6)
        files = [path]
        for name, t in zip(("contacts", "purchases", "referrals"), others):
            if t is not None and not isinstance(t, (str, _os.PathLike)):
                raise TypeError(f"{name}: expected a path like customers, not {type(t).__name__}")
            files.append("" if t is None else _os.fspath(t))
        return _load_files(tuple(files), strict, stacklevel=6)
    base = _rapport._build_base(
        _prepare_table(customers, "customers"),
        _prepare_table(contacts, "contacts"),
        _prepare_table(purchases, "purchases"),
        _prepare_table(referrals, "referrals"),
        _pd.NA,
        _pd.NaT,
        _coerce_time,
    )
    _check_rejects(base, strict, stacklevel=5)
    return base


def _load_files(files: tuple, strict: bool, stacklevel: int) -> CustomerBase:
    base = _rapport._load_csv(*files)
    _check_rejects(base, strict, stacklevel=stacklevel)
    return base


def _check_value_models(run, strict: bool, stacklevel: int = 4) -> None:
    """strict: raise FitError for a value model that could not be fitted; else warn once per model."""
    if strict:
        run.check_value_models()
        return
    for error in run.value_model_errors:
        _warnings.warn(error + "; value columns are NaN (pass strict=True to raise FitError)",
                       ValueModelWarning, stacklevel=stacklevel)


def _score_run(customers, contacts, purchases, referrals, as_of, config, threads, strict):
    day = _day(as_of, "as_of")
    cfg = _config(config, threads)
    base = _resolve(customers, contacts, purchases, referrals, strict)
    run = _rapport._score(base, day, cfg)
    _check_value_models(run, strict)
    return run


def _frame(run) -> _pd.DataFrame:
    attrs = {"as_of": _date(run.as_of_day), "bgnbd": run.bgnbd, "gamma_gamma": run.gamma_gamma}
    columns = run.take_columns()
    df = _pd.DataFrame(dict(columns), copy=False)
    df.attrs.update(attrs)
    return df


# ---------------------------------------------------------------------------------------------
# public API: loading


def load(
    customers: Frame,
    contacts: Optional[Frame] = None,
    purchases: Optional[Frame] = None,
    referrals: Optional[Frame] = None,
    *,
    strict: bool = False,
) -> CustomerBase:
    """Validate DataFrames into a :class:`CustomerBase`.

    Parameters
    ----------
    customers : pandas.DataFrame or mapping of columns
        Columns ``customer_id``, ``acquired_on`` and optionally ``segment``. ``acquired_on`` may
        be datetime64 (at midnight), ``datetime.date`` objects or ``'YYYY-MM-DD'`` strings.
    contacts : pandas.DataFrame, optional
        Columns ``customer_id, at, channel, stage, initiator, aspect, impression, complaint,
        resolved_at``. Times (``at``, ``resolved_at``) may be datetime64 (naive = UTC, tz-aware
        converted to UTC), datetime objects or ISO strings (``YYYY-MM-DD[( |T)HH:MM:SS[Z]]``, as in
        the CSV files); empty ``resolved_at`` is NaT/None/NaN. ``complaint`` may be bool, 0/1 or
        the strings ``true/false/1/0``; ``impression`` an integer -2..2.
    purchases : pandas.DataFrame, optional
        Columns ``customer_id, at, amount`` (amount >= 0).
    referrals : pandas.DataFrame, optional
        Columns ``referrer_id, referred_id, at``.
    strict : bool, default False
        Raise :class:`DataError` when any row is rejected, instead of warning.

    Returns
    -------
    CustomerBase
        The accepted rows; ``.rejects`` lists the rejected ones (table, row, column, reason).

    Raises
    ------
    ValueError
        A required column is missing (the message names it).
    DataError
        ``strict=True`` and some row was rejected.
    TypeError
        A column holds values of an unusable type (e.g. integers as times).

    Warns
    -----
    RejectedRowsWarning
        Some rows were rejected (``strict=False``).

    Notes
    -----
    Columns are converted while holding the GIL; the validation and grouping by customer run
    with the GIL released. Extra columns are ignored.
    """
    base = _rapport._build_base(
        _prepare_table(customers, "customers"),
        _prepare_table(contacts, "contacts"),
        _prepare_table(purchases, "purchases"),
        _prepare_table(referrals, "referrals"),
        _pd.NA,
        _pd.NaT,
        _coerce_time,
    )
    _check_rejects(base, strict)
    return base


def load_dir(
    path: Union[str, "_os.PathLike[str]"],
    *,
    customers: Optional[str] = None,
    contacts: Optional[str] = None,
    purchases: Optional[str] = None,
    referrals: Optional[str] = None,
    strict: bool = False,
) -> CustomerBase:
    """Load the CSV files of a directory (as ``rapport score DIR`` does) into a :class:`CustomerBase`.

    Parameters
    ----------
    path : str or os.PathLike
        Directory holding ``customers.csv`` and optionally ``contacts.csv``, ``purchases.csv``,
        ``referrals.csv``.
    customers, contacts, purchases, referrals : str, optional
        Paths that replace the directory's file of that table.
    strict : bool, default False
        Raise :class:`DataError` (listing every rejected row) when any row is rejected.

    Returns
    -------
    CustomerBase
        The accepted rows and the load report.

    Raises
    ------
    InputError
        The customers file is missing or unreadable, or a required column is missing.
    DataError
        ``strict=True`` and some row was rejected.

    Warns
    -----
    RejectedRowsWarning
        Some rows were rejected (``strict=False``).
    """
    files = list(_rapport._input_files(_os.fspath(path)))
    for k, override in enumerate((customers, contacts, purchases, referrals)):
        if override is not None:
            files[k] = _os.fspath(override)
    return _load_files(tuple(files), strict, stacklevel=4)


def generate(
    customers: int = 1000,
    *,
    seed: int = 42,
    end: Any = None,
    years: float = 4.0,
    contact_rate_per_year: float = 8.0,
    referral_share: float = 0.2,
    prospect_referrals: float = 0.15,
) -> CustomerBase:
    """Generate a realistic synthetic customer base in memory.

    The base is identical to loading the files ``rapport generate`` (or :func:`generate_csv`)
    writes with the same options.

    Parameters
    ----------
    customers : int, default 1000
        Number of customers.
    seed : int, default 42
        Random seed (same seed, same base).
    end : date-like, optional
        Last day of the history (default 2026-06-30), the natural as-of date.
    years : float, default 4.0
        Customers are acquired over this many years before ``end``.
    contact_rate_per_year : float, default 8.0
        Mean business-initiated contacts per customer-year for a well-served customer.
    referral_share : float, default 0.2
        Share of customers acquired through a referral.
    prospect_referrals : float, default 0.15
        Referrals to people who never became customers, per customer.

    Returns
    -------
    CustomerBase
        The generated base (use ``.to_frames()`` for DataFrames).
    """
    return _rapport._generate(
        int(customers), int(seed), _day(end, "end"), float(years), float(contact_rate_per_year),
        float(referral_share), float(prospect_referrals)
    )


def generate_csv(
    path: Union[str, "_os.PathLike[str]"],
    customers: int = 1000,
    *,
    seed: int = 42,
    end: Any = None,
    years: float = 4.0,
    contact_rate_per_year: float = 8.0,
    referral_share: float = 0.2,
    prospect_referrals: float = 0.15,
) -> Dict[str, int]:
    """Write a synthetic customer base as CSV files (like ``rapport generate DIR``).

    Parameters
    ----------
    path : str or os.PathLike
        Output directory (created when missing).
    customers, seed, end, years, contact_rate_per_year, referral_share, prospect_referrals
        As for :func:`generate`.

    Returns
    -------
    dict
        Rows written per table: ``{'customers', 'contacts', 'purchases', 'referrals'}``.
    """
    return _rapport._generate_csv(
        _os.fspath(path), int(customers), int(seed), _day(end, "end"), float(years), float(contact_rate_per_year),
        float(referral_share), float(prospect_referrals)
    )


def _to_frames(self: CustomerBase) -> Dict[str, _pd.DataFrame]:
    """The base's tables as DataFrames.

    Returns
    -------
    dict of pandas.DataFrame
        ``{'customers', 'contacts', 'purchases', 'referrals'}`` with the input columns: times as
        datetime64[ns] (UTC, NaT for an empty ``resolved_at``), enumerations as categoricals,
        contacts and purchases grouped by customer (input order within a customer). Passing them
        to :func:`score` gives the same scores as the base itself.
    """
    cols = self._columns()
    ns = lambda a: a.view("datetime64[ns]")  # noqa: E731
    cu = cols["customers"]
    co = cols["contacts"]
    pu = cols["purchases"]
    re = cols["referrals"]
    cat = _pd.Categorical.from_codes
    return {
        "customers": _pd.DataFrame(
            {"customer_id": cu["customer_id"], "acquired_on": ns(cu["acquired_on"]), "segment": cu["segment"]}
        ),
        "contacts": _pd.DataFrame(
            {
                "customer_id": co["customer_id"],
                "at": ns(co["at"]),
                "channel": cat(co["channel"], categories=CHANNELS),
                "stage": cat(co["stage"], categories=STAGES),
                "initiator": cat(co["initiator"], categories=INITIATORS),
                "aspect": cat(co["aspect"], categories=ASPECTS),
                "impression": co["impression"],
                "complaint": co["complaint"],
                "resolved_at": ns(co["resolved_at"]),
            }
        ),
        "purchases": _pd.DataFrame({"customer_id": pu["customer_id"], "at": ns(pu["at"]), "amount": pu["amount"]}),
        "referrals": _pd.DataFrame(
            {"referrer_id": re["referrer_id"], "referred_id": re["referred_id"], "at": ns(re["at"])}
        ),
    }


def _default_as_of(self: CustomerBase) -> Optional[_dt.date]:
    """The default as-of date: the latest UTC date in the data (None for an empty base)."""
    day = self._default_as_of_day
    return None if day is None else _date(day)


def _rejects_df(self: CustomerBase) -> _pd.DataFrame:
    """The rejected rows as a DataFrame (columns as in :attr:`rejects`).

    Returns
    -------
    pandas.DataFrame
    """
    return _rejects_frame(self.rejects)


CustomerBase.to_frames = _to_frames
CustomerBase.default_as_of = property(_default_as_of, doc=_default_as_of.__doc__)
CustomerBase.rejects_frame = _rejects_df


# ---------------------------------------------------------------------------------------------
# public API: scoring

_INPUT_DOC = """
    customers : pandas.DataFrame, mapping of columns, CustomerBase or path
        The customers table (columns ``customer_id``, ``acquired_on``[, ``segment``]), a
        :class:`CustomerBase` (then give no other table), a directory holding the CSV files, or
        the path of ``customers.csv`` (then the other tables are paths too).
    contacts, purchases, referrals : pandas.DataFrame, optional
        The other tables, with the CSV files' columns (see :func:`load`).
    as_of : date-like, optional
        Score as of this date D (``datetime.date``, ``datetime.datetime``, ``numpy.datetime64``,
        ``pandas.Timestamp`` or ``'YYYY-MM-DD'``); only events before the midnight ending D count.
        Default: the latest date in the data.
    config : ScoringConfig, dict or str, optional
        Scoring configuration (a dict of ScoringConfig fields, or JSON text as the CLI's
        ``--config`` reads it). Default: the design card's values.
    threads : int, optional
        Worker threads (0 = all cores); overrides ``config.threads``.
    strict : bool, default False
        Raise :class:`DataError` when any input row is rejected, and :class:`FitError` when a
        value model cannot be fitted (instead of a warning: :class:`RejectedRowsWarning`,
        :class:`ValueModelWarning`; without a value model its columns are NaN)."""

_RAISES_DOC = """
    Raises
    ------
    ValueError
        A required column is missing, or ``as_of`` is not a valid date (:class:`InputError`);
        a setting is outside its domain (:class:`ConfigError`).
    DataError
        ``strict=True`` and some row was rejected.
    InputError
        The customer base is empty, or a CSV file is missing or unreadable.
    FitError
        ``strict=True`` and the BG/NBD or Gamma-Gamma model cannot be fitted (too few
        customers, no repeat buyer, no convergence).

    Warns
    -----
    ValueModelWarning
        A value model cannot be fitted (``strict=False``): value columns are NaN."""


def score(
    customers: CustomersArg,
    contacts: Optional[Frame] = None,
    purchases: Optional[Frame] = None,
    referrals: Optional[Frame] = None,
    *,
    as_of: Any = None,
    config: ConfigArg = None,
    threads: Optional[int] = None,
    strict: bool = False,
    intervals: Optional[float] = None,
) -> _pd.DataFrame:
    if intervals is not None:
        config = _config(config, None)
        config.intervals = intervals  # validated by the setter (ConfigError)
    return _frame(_score_run(customers, contacts, purchases, referrals, as_of, config, threads, strict))


score.__doc__ = (
    """Score every customer acquired on or before the as-of date.

    Parameters
    ----------"""
    + _INPUT_DOC
    + """
    intervals : float, optional
        Add the value intervals at this level (e.g. 0.9; the setting ``intervals``): the columns
        ``p_alive_lo``, ``p_alive_hi``, ``expected_purchases_lo``, ``expected_purchases_hi``,
        ``expected_value_lo`` and ``expected_value_hi`` after the usual ones (docs/validation.md).

    Returns
    -------
    pandas.DataFrame
        One row per scored customer in input order, with exactly the columns of the CLI's
        ``rapport score --out`` CSV, in its order (:data:`SCORE_COLUMNS`): ``customer_id``,
        ``loyalty_given``, the five loyalty components, ``p_alive``, ``expected_purchases``,
        ``expected_value``, ``upserve_value``, ``upserve_score``, ``next_action``,
        ``referral_potential``, the five referral components, ``ask_for_referral`` (bool),
        ``direct_referrals``, ``converted_referrals``, ``generation`` (int64), ``root_id``,
        ``tree_size`` (int64) and ``katz``. NaN marks a component without evidence (an empty CSV
        cell); the values equal the CLI's bit for bit. ``df.attrs`` holds ``as_of``
        (datetime.date) and the ``bgnbd`` / ``gamma_gamma`` parameters used.
"""
    + _RAISES_DOC
    + """

    Notes
    -----
    The GIL is released while scoring. The float score columns and ``ask_for_referral`` are
    numpy arrays that take over the C++ result vectors without copying (and pandas keeps them
    as they are); the string columns, the int64 referral columns and ``katz`` (gathered per
    customer from the per-person referral forest) are built as new arrays.
    """
)


def score_dir(
    path: Union[str, "_os.PathLike[str]"],
    *,
    as_of: Any = None,
    config: ConfigArg = None,
    threads: Optional[int] = None,
    strict: bool = False,
) -> _pd.DataFrame:
    """Score the CSV files of a directory, like ``rapport score DIR --out scores.csv``.

    Parameters
    ----------
    path : str or os.PathLike
        Directory holding ``customers.csv`` and optionally ``contacts.csv``, ``purchases.csv``
        and ``referrals.csv`` (read with the C++ CSV loader).
    as_of, config, threads, strict
        As for :func:`score`.

    Returns
    -------
    pandas.DataFrame
        As for :func:`score`.

    Raises
    ------
    InputError
        The customers file is missing, a required column is missing, or ``as_of`` is invalid.
    DataError
        ``strict=True`` and some row was rejected.
    FitError
        ``strict=True`` and a value model cannot be fitted.
    """
    base = _load_files(_rapport._input_files(_os.fspath(path)), strict, stacklevel=4)
    return score(base, as_of=as_of, config=config, threads=threads, strict=strict)


def _tables_arg(tables: Optional[_Mapping]) -> str:
    return ",".join("%s=%s" % (k, v) for k, v in (tables or {}).items())


def load_db(uri: str, *, tables: Optional[Dict[str, str]] = None, strict: bool = False) -> CustomerBase:
    """Load the tables ``customers``, ``contacts``, ``purchases`` and ``referrals`` of a database.

    Parameters
    ----------
    uri : str
        ``sqlite:PATH`` or a PostgreSQL URI / libpq connection string.
    tables : dict, optional
        Table names, e.g. ``{"customers": "crm.clients"}``: plain, optionally schema-qualified
        identifiers. Only ``customers`` must exist; the others are read when they exist.
    strict : bool, default False
        Raise :class:`DataError` when any row is rejected.

    Returns
    -------
    CustomerBase
        Rejected rows carry the table name as ``file`` and the row number in read order as
        ``line``; the values go through the same row rules as CSV fields.

    Raises
    ------
    InputError
        The database cannot be opened (the message never shows a password) or the customers table
        or a required column is missing.
    ConfigError
        A table name is not a plain identifier (checked before connecting).
    """
    base = _rapport._load_db(uri, _tables_arg(tables))
    _check_rejects(base, strict, stacklevel=3)
    return base


def score_db(
    uri: str,
    *,
    tables: Optional[Dict[str, str]] = None,
    as_of: Any = None,
    config: ConfigArg = None,
    threads: Optional[int] = None,
    strict: bool = False,
) -> _pd.DataFrame:
    """Score the base stored in a database, like ``rapport score --db URI --out scores.csv``.

    Parameters
    ----------
    uri, tables, strict
        As for :func:`load_db`.
    as_of, config, threads
        As for :func:`score`.

    Returns
    -------
    pandas.DataFrame
        As for :func:`score`: the same values as scoring the same rows from CSV files.
    """
    return score(load_db(uri, tables=tables, strict=strict), as_of=as_of, config=config, threads=threads)


def explain(
    customers: CustomersArg,
    contacts: Optional[Frame] = None,
    purchases: Optional[Frame] = None,
    referrals: Optional[Frame] = None,
    *,
    as_of: Any = None,
    config: ConfigArg = None,
    threads: Optional[int] = None,
    strict: bool = False,
) -> List[Dict[str, Any]]:
    run_ = _score_run(customers, contacts, purchases, referrals, as_of, config, threads, strict)
    return [_json.loads(s) for s in run_.explain_json()]


explain.__doc__ = (
    """Explain every score: each component's value, weight, contribution and evidence.

    Parameters
    ----------"""
    + _INPUT_DOC
    + """

    Returns
    -------
    list of dict
        One dict per scored customer, in the order of :func:`score`'s rows: the parsed JSON of
        the CLI's ``--explain`` lines (``customer_id``, the loyalty and referral components with
        value/weight/contribution/evidence, and the gap that chose ``next_action``).
"""
    + _RAISES_DOC
    + "\n"
)


def summary(
    customers: CustomersArg,
    contacts: Optional[Frame] = None,
    purchases: Optional[Frame] = None,
    referrals: Optional[Frame] = None,
    *,
    as_of: Any = None,
    config: ConfigArg = None,
    threads: Optional[int] = None,
    strict: bool = False,
) -> Dict[str, Any]:
    run_ = _score_run(customers, contacts, purchases, referrals, as_of, config, threads, strict)
    return _json.loads(run_.summary_json())


summary.__doc__ = (
    """The base-wide summary, as the CLI's ``--summary`` JSON.

    Parameters
    ----------"""
    + _INPUT_DOC
    + """

    Returns
    -------
    dict
        The parsed summary: ``as_of``, ``rows`` (``{table: {'read', 'rejected', 'accepted'}}``),
        ``rejected_by_reason``, loyalty-given distributions (overall, per segment, per value
        decile), Critical Wheel effort, revenue shares, referral statistics, the fitted BG/NBD
        (alpha in days) and Gamma-Gamma parameters and the config used.
"""
    + _RAISES_DOC
    + "\n"
)


def run(
    customers: CustomersArg,
    contacts: Optional[Frame] = None,
    purchases: Optional[Frame] = None,
    referrals: Optional[Frame] = None,
    *,
    as_of: Any = None,
    config: ConfigArg = None,
    threads: Optional[int] = None,
    strict: bool = False,
    explanations: bool = False,
) -> Result:
    run_ = _score_run(customers, contacts, purchases, referrals, as_of, config, threads, strict)
    summary_ = _json.loads(run_.summary_json())
    explained = [_json.loads(s) for s in run_.explain_json()] if explanations else None
    return Result(_frame(run_), summary_, explained)


run.__doc__ = (
    """Score once and return the scores, the summary and (optionally) the explanations.

    Parameters
    ----------"""
    + _INPUT_DOC
    + """
    explanations : bool, default False
        Also explain every customer.

    Returns
    -------
    Result
        ``(scores, summary, explanations)`` as :func:`score`, :func:`summary` and
        :func:`explain` return them (``explanations`` is None unless asked for).
"""
    + _RAISES_DOC
    + "\n"
)


def report(
    customers: CustomersArg,
    contacts: Optional[Frame] = None,
    purchases: Optional[Frame] = None,
    referrals: Optional[Frame] = None,
    *,
    as_of: Any = None,
    config: ConfigArg = None,
    threads: Optional[int] = None,
    strict: bool = False,
    out: Union[str, "_os.PathLike[str]", None] = None,
    title: Optional[str] = None,
    currency: str = "",
    top_n: int = 15,
    trees: int = 3,
    history: Sequence[Any] = (),
) -> str:
    day = _day(as_of, "as_of")
    history_days = [_day(d, "history") for d in history]
    cfg = _config(config, threads)
    base = _resolve(customers, contacts, purchases, referrals, strict)
    if int(top_n) < 0 or int(trees) < 0:
        raise ValueError("top_n and trees must be >= 0")
    path = "" if out is None else _os.fspath(out)
    return _rapport._html_report(base, day, cfg, title or "", currency, int(top_n), int(trees), path, history_days)


report.__doc__ = (
    """The visual report: one self-contained HTML page (inline SVG and CSS, no network access),
    as the CLI's ``rapport report`` writes it.

    Parameters
    ----------"""
    + _INPUT_DOC
    + """
    out : str or path-like, optional
        Also write the page here (atomically).
    title : str, optional
        Page title (default: "rapport: customer relationships").
    currency : str, default ""
        Symbol written before amounts, e.g. "€".
    top_n : int, default 15
        Rows in the top up-serve and ask-now lists.
    trees : int, default 3
        Largest referral trees drawn.
    history : sequence of date-like, default ()
        Also score at these as-of dates (as :func:`history` does) and add a "Trends" section:
        the means of loyalty given and referral potential and the ask-now share per date.

    Returns
    -------
    str
        The HTML page. Every figure the summary also holds carries ``data-metric`` (a JSON
        pointer into :func:`summary`'s dict) and ``data-value`` (the exact number).
"""
    + _RAISES_DOC
    + "\n"
)


def __getattr__(name: str) -> Any:
    # rapport.plot imports matplotlib: only on first use
    if name in ("plot", "dask"):  # rapport.dask imports dask: only on first use
        import importlib

        return importlib.import_module("." + name, __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------------------------------------
# public API: value models


def _doubles(*arrays: Any) -> List[_np.ndarray]:
    return [_np.ascontiguousarray(_np.asarray(a, dtype=_np.float64)).ravel() for a in arrays]


def fit_bgnbd(
    x: Any,
    t_x: Any,
    T: Any,
    *,
    max_iterations: int = 200,
    gradient_tolerance: float = 1e-9,
    min_customers: int = 10,
) -> Dict[str, float]:
    """Fit the BG/NBD repeat-purchase model (Fader, Hardie & Lee 2005) by maximum likelihood.

    Parameters
    ----------
    x : array_like
        Repeat purchases per customer.
    t_x : array_like
        Time of the last purchase since the first (days in rapport; any unit works).
    T : array_like
        Age: time from the first purchase to the end of the observation period (same unit).
    max_iterations : int, default 200
        Optimiser iterations before giving up.
    gradient_tolerance : float, default 1e-9
        Convergence threshold (max relative gradient in log-parameter space).
    min_customers : int, default 10
        Fewer customers than this is a :class:`FitError`.

    Returns
    -------
    dict
        ``{'r', 'alpha', 'a', 'b', 'log_likelihood'}``; ``alpha`` is in the unit of ``t_x``/``T``.

    Raises
    ------
    FitError
        Too few customers, no repeat buyer, or no convergence.
    ValueError
        The arrays differ in length; a fit option is outside its domain (:class:`ConfigError`,
        see docs/settings.md).

    Notes
    -----
    The GIL is released during the fit.
    """
    xs, txs, Ts = _doubles(x, t_x, T)
    return _rapport._fit_bgnbd(xs, txs, Ts, int(max_iterations), float(gradient_tolerance), int(min_customers))


def fit_gamma_gamma(
    x: Any,
    m: Any,
    *,
    max_iterations: int = 200,
    gradient_tolerance: float = 1e-9,
    min_customers: int = 10,
) -> Dict[str, float]:
    """Fit the Gamma-Gamma spend model by maximum likelihood.

    Parameters
    ----------
    x : array_like
        Repeat purchases per customer; rows with ``x < 1`` are skipped.
    m : array_like
        Mean spend per repeat purchase; rows with ``m <= 0`` are skipped.
    max_iterations, gradient_tolerance, min_customers
        As for :func:`fit_bgnbd`.

    Returns
    -------
    dict
        ``{'p', 'q', 'gamma', 'log_likelihood'}``.

    Raises
    ------
    FitError
        Fewer than ``min_customers`` qualifying rows, no convergence, or ``q <= 1``.
    ValueError
        The arrays differ in length; a fit option is outside its domain (:class:`ConfigError`).

    Notes
    -----
    The GIL is released during the fit.
    """
    xs, ms = _doubles(x, m)
    return _rapport._fit_gamma_gamma(xs, ms, int(max_iterations), float(gradient_tolerance), int(min_customers))


def _broadcast(*arrays: Any):
    b = _np.broadcast_arrays(*[_np.asarray(a, dtype=_np.float64) for a in arrays])
    shape = b[0].shape
    return shape, [_np.ascontiguousarray(a).ravel() for a in b]


def _shaped(values: _np.ndarray, shape: tuple) -> Union[_np.ndarray, float]:
    return float(values[0]) if shape == () else values.reshape(shape)


def bgnbd_p_alive(params: Dict[str, float], x: Any, t_x: Any, T: Any) -> Union[_np.ndarray, float]:
    """Probability that a customer with history (x, t_x, T) is still alive under BG/NBD.

    Parameters
    ----------
    params : dict
        ``{'r', 'alpha', 'a', 'b'}``, e.g. from :func:`fit_bgnbd`.
    x, t_x, T : array_like
        Repeat purchases, time of last purchase, age (broadcast together; unit of alpha).

    Returns
    -------
    numpy.ndarray or float
        P(alive), with the broadcast shape (a float for scalar input).
    """
    shape, (xs, txs, Ts) = _broadcast(x, t_x, T)
    return _shaped(_rapport._bgnbd_p_alive(dict(params), xs, txs, Ts), shape)


def bgnbd_expected_purchases(
    params: Dict[str, float], horizon: float, x: Any, t_x: Any, T: Any
) -> Union[_np.ndarray, float]:
    """Expected purchases in the next ``horizon`` time units under BG/NBD.

    Parameters
    ----------
    params : dict
        ``{'r', 'alpha', 'a', 'b'}``, e.g. from :func:`fit_bgnbd`.
    horizon : float
        Length of the future period (unit of alpha).
    x, t_x, T : array_like
        Repeat purchases, time of last purchase, age (broadcast together).

    Returns
    -------
    numpy.ndarray or float
        Expected purchases, with the broadcast shape (a float for scalar input).
    """
    shape, (xs, txs, Ts) = _broadcast(x, t_x, T)
    return _shaped(_rapport._bgnbd_expected_purchases(dict(params), float(horizon), xs, txs, Ts), shape)


def gamma_gamma_expected_spend(params: Dict[str, float], x: Any, m: Any) -> Union[_np.ndarray, float]:
    """Expected spend per future purchase under Gamma-Gamma.

    Parameters
    ----------
    params : dict
        ``{'p', 'q', 'gamma'}``, e.g. from :func:`fit_gamma_gamma`.
    x, m : array_like
        Repeat purchases and mean repeat spend (broadcast together).

    Returns
    -------
    numpy.ndarray or float
        ``(gamma + m x) p / (p x + q - 1)`` for x >= 1, ``p gamma / (q - 1)`` for x = 0.
    """
    shape, (xs, ms) = _broadcast(x, m)
    return _shaped(_rapport._gamma_gamma_expected_spend(dict(params), xs, ms), shape)


# ---------------------------------------------------------------------------------------------
# public API: referral-graph centrality


def _edges(sources: Any, targets: Any, n: Optional[int]):
    s = _np.asarray(sources)
    t = _np.asarray(targets)
    for name, a in (("sources", s), ("targets", t)):
        if a.size and not _np.issubdtype(a.dtype, _np.integer):
            raise TypeError(f"{name}: expected integer node ids, not {a.dtype}")
    s = s.astype(_np.int64, copy=False).ravel()
    t = t.astype(_np.int64, copy=False).ravel()
    return s, t, -1 if n is None else int(n)


def pagerank(
    sources: Any,
    targets: Any,
    n: Optional[int] = None,
    damping: float = 0.85,
    tolerance: float = 1e-12,
    *,
    max_iterations: int = 1000,
    threads: int = 0,
) -> _np.ndarray:
    """PageRank of a directed graph given as edge arrays (matches networkx and igraph).

    Parameters
    ----------
    sources, targets : array_like of int
        Edge endpoints (node ids 0..n-1); repeated edges count with multiplicity.
    n : int, optional
        Number of nodes (default: largest id + 1).
    damping : float, default 0.85
        Probability of following an out-edge.
    tolerance : float, default 1e-12
        Accuracy: the solve stops once the L1 error of the result is below
        ``2 * tolerance * damping / (1 - damping)``.
    max_iterations : int, default 1000
        Cap on the Gauss-Seidel sweeps over the graph's cyclic core.
    threads : int, default 0
        Accepted for compatibility; the solve runs on one thread.

    Returns
    -------
    numpy.ndarray
        One score per node, summing to 1. Dangling nodes' mass is spread uniformly.

    Raises
    ------
    ValueError
        Ids out of range, arrays of different lengths, or invalid damping/tolerance.
    """
    s, t, nn = _edges(sources, targets, n)
    values, _, _ = _rapport._pagerank(s, t, nn, float(damping), float(tolerance), int(max_iterations), int(threads))
    return values


def katz_reach(
    sources: Any,
    targets: Any,
    n: Optional[int] = None,
    beta: float = 0.5,
    tolerance: float = 1e-12,
    *,
    max_depth: int = 0,
    max_iterations: int = 1000,
    threads: int = 0,
) -> _np.ndarray:
    """Katz reach: attenuated count of the walks leaving each node (its referral chains).

    For node i, the sum over k >= 1 of ``beta**(k-1)`` times the number of walks of length k
    starting at i; on a referral forest, the sum over descendants j of
    ``beta**(depth(j) - depth(i) - 1)``.

    Parameters
    ----------
    sources, targets : array_like of int
        Edge endpoints (node ids 0..n-1), referrer -> referred.
    n : int, optional
        Number of nodes (default: largest id + 1).
    beta : float, default 0.5
        Attenuation per extra hop.
    tolerance : float, default 1e-12
        Relative L1 convergence threshold.
    max_depth : int, default 0
        Longest walk counted; 0 sums the series to convergence.
    max_iterations : int, default 1000
        Cap when ``max_depth == 0``; reaching it means divergence.
    threads : int, default 0
        Worker threads (0 = all cores); the result does not depend on it.

    Returns
    -------
    numpy.ndarray
        One value per node.

    Raises
    ------
    ValueError
        The series diverges (beta times the spectral radius >= 1), ids are out of range, or
        beta/tolerance are invalid.
    """
    s, t, nn = _edges(sources, targets, n)
    values, _, _ = _rapport._katz_reach(
        s, t, nn, float(beta), int(max_depth), float(tolerance), int(max_iterations), int(threads)
    )
    return values


# ---------------------------------------------------------------------------------------------
# public API: live scoring


class Scorer:
    """Live scoring: a customer base kept in memory, batches of new rows, and scores that
    rescore only the customers the new rows touch.

    The value models are fitted once when the Scorer is built (unless ``config`` gives their
    parameters) and kept until :meth:`refit`. After any sequence of :meth:`add` calls,
    :meth:`scores` equals ``rapport.score`` of every accepted row so far with
    ``as_of=scorer.as_of`` and ``config=scorer.config``, value for value.

    Parameters
    ----------
    customers, contacts, purchases, referrals
        The starting base, as for :func:`score` (DataFrames, paths, a directory or a
        :class:`CustomerBase`).
    as_of : date-like, optional
        The as-of date (default: the starting base's latest date); it does not follow new rows.
    config : ScoringConfig, dict or path, optional
        As for :func:`score`.
    threads : int, optional
        Worker threads.
    strict : bool, default False
        Raise :class:`DataError` for rejected rows (at build and in :meth:`add`) instead of warning.

    Every method releases the GIL while it works; calls from several threads are serialised by
    the Scorer's lock.
    """

    def __init__(
        self,
        customers: CustomersArg,
        contacts: Optional[Frame] = None,
        purchases: Optional[Frame] = None,
        referrals: Optional[Frame] = None,
        *,
        as_of: Any = None,
        config: ConfigArg = None,
        threads: Optional[int] = None,
        strict: bool = False,
    ) -> None:
        base = _resolve(customers, contacts, purchases, referrals, strict)
        self._strict = strict
        self._scorer = _rapport._Scorer(base, _day(as_of, "as_of"), _config(config, threads))

    def add(
        self,
        customers: Optional[Frame] = None,
        contacts: Optional[Frame] = None,
        purchases: Optional[Frame] = None,
        referrals: Optional[Frame] = None,
    ) -> _pd.DataFrame:
        """Adds a batch of rows (DataFrames with the tables' columns; any may be omitted),
        validated by the same row rules as :func:`load`. Customers are taken first, so a batch's
        contacts may name its new customers. Returns the batch's rejected rows (a DataFrame as
        :attr:`CustomerBase.rejects`, lines counted within the batch); warns about them, or
        raises :class:`DataError` when the Scorer is strict (the accepted rows stay added)."""
        batch = self._scorer.add(
            _prepare_table(customers, "customers"),
            _prepare_table(contacts, "contacts"),
            _prepare_table(purchases, "purchases"),
            _prepare_table(referrals, "referrals"),
            _pd.NA,
            _pd.NaT,
            _coerce_time,
        )
        _check_rejects(batch, self._strict)
        return _rejects_frame(batch.rejects)

    def scores(self) -> _pd.DataFrame:
        """The score table of every scored customer (as :func:`score` returns it), after
        rescoring what the added rows touched."""
        return _frame(self._scorer.scores())

    @property
    def rescored(self) -> int:
        """How many customers the last :meth:`scores` (or :meth:`refit`, or a move of
        :attr:`as_of`) recomputed."""
        return self._scorer.rescored

    @property
    def config(self) -> ScoringConfig:
        """The config in force, the value models' parameters included."""
        return self._scorer.config

    @property
    def as_of(self) -> _dt.date:
        """The as-of date; setting it rescores every customer (model parameters kept)."""
        return _date(self._scorer.as_of_day)

    @as_of.setter
    def as_of(self, value: Any) -> None:
        day = _day(value, "as_of")
        if day is None:
            raise InputError("as_of: a date is required")
        self._scorer.set_as_of(day)

    def refit(self) -> None:
        """Refits the value models over every row so far (parameters given in the config are
        used instead) and rescores every customer."""
        self._scorer.refit()

    def summary(self) -> Dict[str, Any]:
        """The base-wide summary of the current scores (as :func:`summary`)."""
        return _json.loads(self._scorer.summary_json())

    def explain(self, customer: Union[int, str]) -> Dict[str, Any]:
        """One customer's explanation (as :func:`explain`), by row of :meth:`scores` or by
        customer id. Raises IndexError for an unknown row or id."""
        if isinstance(customer, str):
            return _json.loads(self._scorer.explain_id(customer))
        return _json.loads(self._scorer.explain_row(int(customer)))


def history(
    customers: CustomersArg,
    contacts: Optional[Frame] = None,
    purchases: Optional[Frame] = None,
    referrals: Optional[Frame] = None,
    *,
    as_of: Sequence[Any],
    config: ConfigArg = None,
    threads: Optional[int] = None,
    strict: bool = False,
) -> _pd.DataFrame:
    """Scores at several as-of dates, as one long table (like ``rapport history``).

    The input is read and validated once, then scored at each date in the order given.

    Parameters
    ----------
    customers, contacts, purchases, referrals, config, threads, strict
        As for :func:`score`.
    as_of : sequence of date-like
        The as-of dates.

    Returns
    -------
    pandas.DataFrame
        An ``as_of`` column (datetime.date), then the columns of :func:`score`; the rows of each
        date are exactly ``rapport.score(..., as_of=date)``'s, the dates in the order given.
    """
    days = [_day(d, "as_of") for d in as_of]
    if not days:
        raise InputError("as_of: at least one date is required")
    cfg = _config(config, threads)
    base = _resolve(customers, contacts, purchases, referrals, strict)
    frames = []
    for day in days:
        run = _rapport._score(base, day, cfg)
        _check_value_models(run, strict)
        df = _frame(run)
        df.insert(0, "as_of", _date(run.as_of_day))
        df.attrs.clear()
        frames.append(df)
    return _pd.concat(frames, ignore_index=True)


def trend(history_table: _pd.DataFrame, column: str = "loyalty_given") -> _pd.DataFrame:
    """Per-customer trend of one score column from a :func:`history` table.

    Parameters
    ----------
    history_table : pandas.DataFrame
        As :func:`history` returns it (an ``as_of`` column, then the score columns).
    column : str, default "loyalty_given"
        A numeric score column.

    Returns
    -------
    pandas.DataFrame
        One row per customer scored at the latest date (index ``customer_id``): ``column`` at
        that date, then ``change_since_<date>`` (latest value minus the value then; NaN where the
        customer was not scored then or the value is empty) for each earlier date, oldest first.
    """
    if column not in history_table.columns or column in ("as_of", "customer_id"):
        raise ValueError(f"column: not a score column of the history table: {column!r}")
    wide = history_table.pivot(index="customer_id", columns="as_of", values=column)
    dates = sorted(wide.columns)
    latest = dates[-1]
    current = wide[latest]
    scored = history_table.loc[history_table["as_of"] == latest, "customer_id"]
    out = _pd.DataFrame({column: current.reindex(scored)})
    for d in dates[:-1]:
        out[f"change_since_{d.isoformat()}"] = out[column] - wide[d].reindex(scored)
    return out

from .validate import validate  # noqa: E402  (re-exported; rapport/validate.py needs the helpers above)
__all__ += ["validate"]
