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

    Returns
    -------
    str
        The HTML page. Every figure the summary also holds carries ``data-metric`` (a JSON
        pointer into :func:`summary`'s dict) and ``data-value`` (the exact number).
"""
    + _RAISES_DOC
    + "\n"
)
