"""The visual report (HTML)."""

from __future__ import annotations

import os as _os
from typing import Optional, Sequence, Union

from . import _rapport
from ._types import ConfigArg, CustomersArg, DateLike, Frame
from ._config import _config
from ._data import _day, _resolve
from ._score import _INPUT_DOC, _RAISES_DOC


def report(
    customers: CustomersArg,
    contacts: Optional[Frame] = None,
    purchases: Optional[Frame] = None,
    referrals: Optional[Frame] = None,
    *,
    as_of: Optional[DateLike] = None,
    config: ConfigArg = None,
    threads: Optional[int] = None,
    strict: bool = False,
    out: Union[str, "_os.PathLike[str]", None] = None,
    title: Optional[str] = None,
    currency: str = "",
    top_n: int = 15,
    trees: int = 3,
    history: Sequence[DateLike] = (),
    holdout_from: Optional[DateLike] = None,
    holdout_to: Optional[DateLike] = None,
) -> str:
    day = _day(as_of, "as_of")
    holdout_from_day = _day(holdout_from, "holdout_from")
    holdout_to_day = _day(holdout_to, "holdout_to")
    if holdout_to_day is not None and holdout_from_day is None:
        raise ValueError("holdout_to needs holdout_from (the holdout's first day)")
    history_days = [_day(d, "history") for d in history]
    cfg = _config(config, threads)
    base = _resolve(customers, contacts, purchases, referrals, strict)
    if int(top_n) < 0 or int(trees) < 0:
        raise ValueError("top_n and trees must be >= 0")
    path = "" if out is None else _os.fspath(out)
    return _rapport._html_report(
        base, day, cfg, title or "", currency, int(top_n), int(trees), path, history_days, holdout_from_day,
        holdout_to_day
    )


report.__doc__ = (
    """The visual report: one self-contained HTML page (inline SVG and CSS, no network access),
    as the CLI's ``rapport report`` writes it.

    Parameters
    ----------"""
    + _INPUT_DOC
    + """
    out : str or path-like, optional
        Also write the page here (atomically). Refused with :class:`OutputError`, before any
        work, when it is one of the input files (the CSV files or SQLite database read).
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
    holdout_from, holdout_to : date-like, optional
        Also check the run's value model on the holdout [holdout_from, holdout_to] (as
        :func:`rapport.validate` with ``value_model`` the run's model; ``holdout_to`` defaults to the
        last purchase day) and add a "Validation on a holdout" section: the holdout figures, the
        cumulative and weekly tracking, the table by calibration frequency and the p_alive
        calibration. Its figures carry ``data-validation``, a JSON pointer into that result.

    Returns
    -------
    str
        The HTML page. Every figure the summary also holds carries ``data-metric`` (a JSON
        pointer into :func:`summary`'s dict) and ``data-value`` (the exact number).
"""
    + _RAISES_DOC
    + "\n"
)
