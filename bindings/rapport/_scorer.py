"""Live scoring: a Scorer keeps a scored base and rescores only what a batch touches."""

from __future__ import annotations

import datetime as _dt
import json as _json
from typing import Any, Dict, Optional, Union

import pandas as _pd

from . import _rapport
from ._rapport import InputError, ScoringConfig
from ._types import ConfigArg, CustomersArg, Frame
from ._errors import _rejects_frame
from ._config import _config
from ._data import _check_rejects, _coerce_time, _date, _day, _prepare_table, _resolve
from ._score import _frame


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
