"""Scores at several dates and their trend."""

from __future__ import annotations

from typing import Any, Optional, Sequence

import pandas as _pd

from . import _rapport
from ._rapport import InputError
from ._types import ConfigArg, CustomersArg, Frame
from ._config import _config
from ._data import _date, _day, _resolve
from ._score import _check_value_models, _frame


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
