"""Input: DataFrames, CSV files and generated bases to a CustomerBase; the CustomerBase's Python methods."""

from __future__ import annotations

import datetime as _dt
import os as _os
import warnings as _warnings
from collections.abc import Mapping as _Mapping
from typing import Any, Dict, Optional

import numpy as _np
import pandas as _pd

from . import _rapport
from ._rapport import ASPECTS, CHANNELS, INITIATORS, STAGES, CustomerBase, InputError
from ._types import DateLike, Frame, PathLike
from ._errors import DataError, RejectedRowsWarning, _rejects_frame


_EPOCH = _dt.date(1970, 1, 1)


# table -> (required columns, optional columns); column -> kind
_TABLES = {
    "customers": (("customer_id", "acquired_on"), ("segment", "ended_on")),
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
    "ended_on": "time",
    "at": "time",
    "resolved_at": "time",
    "impression": "number",
    "amount": "number",
    "complaint": "number",
}


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
        Columns ``customer_id``, ``acquired_on`` and optionally ``segment`` and ``ended_on`` (the
        day a contract ended; missing or empty while active). The dates may
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
    path: PathLike,
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
    end: Optional[DateLike] = None,
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
    path: PathLike,
    customers: int = 1000,
    *,
    seed: int = 42,
    end: Optional[DateLike] = None,
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

    Raises
    ------
    ConfigError
        An option outside its domain (checked before anything is written).
    OutputError
        ``path`` holds anything but a previous base's four files, or cannot be written. The base
        is written into a temporary folder beside ``path`` and renamed into place as a whole, so
        a failure leaves ``path`` as it was.
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
            | ({"ended_on": ns(cu["ended_on"])} if "ended_on" in cu else {})
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
