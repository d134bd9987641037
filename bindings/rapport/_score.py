"""Scoring a base: scores, explanations, the summary, everything of one run."""

from __future__ import annotations

import json as _json
import os as _os
import warnings as _warnings
from typing import Any, Dict, List, NamedTuple, Optional

import pandas as _pd

from . import _rapport
from ._types import ConfigArg, CustomersArg, DateLike, Frame, PathLike
from ._errors import ValueModelWarning
from ._config import _config
from ._data import _date, _day, _load_files, _resolve


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
    if run.value_model != "bgnbd":  # the purchase model in use and, for auto, how it was chosen
        summary = _json.loads(run.summary_json())
        attrs["purchase_model"] = summary["purchase_model"]
        attrs["model_selection"] = summary.get("model_selection")
    columns = run.take_columns()
    df = _pd.DataFrame(dict(columns), copy=False)
    df.attrs.update(attrs)
    return df


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
    as_of: Optional[DateLike] = None,
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
    path: PathLike,
    *,
    as_of: Optional[DateLike] = None,
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


def explain(
    customers: CustomersArg,
    contacts: Optional[Frame] = None,
    purchases: Optional[Frame] = None,
    referrals: Optional[Frame] = None,
    *,
    as_of: Optional[DateLike] = None,
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
    as_of: Optional[DateLike] = None,
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
    as_of: Optional[DateLike] = None,
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
