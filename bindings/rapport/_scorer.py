"""Live scoring: a Scorer keeps a scored base and rescores only what a batch touches."""

from __future__ import annotations

import datetime as _dt
import json as _json
import operator as _operator
from typing import Any, Dict, Optional, Union

import numpy as _np
import pandas as _pd

from . import _rapport
from ._rapport import ConfigError, InputError, ScoringConfig
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

    With ``intervals`` in the config the scores carry the six interval columns. Their parameter
    draws are made whenever the Scorer fits the models (when built, at :meth:`refit`) and kept
    with the parameters: a batch's rows are evaluated under the kept draws, so after
    :meth:`refit` the scores equal ``rapport.score`` of every row, intervals included.

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
    max_pending_rows : int, default 100000
        Contacts and purchases held, together, for customers not added yet (rows may arrive in
        any order: a held row is applied when its customer arrives); a row beyond it is rejected.
        0 holds none. An integer in [0, 4294967295], else :class:`ConfigError`.

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
        max_pending_rows: int = 100000,
    ) -> None:
        if isinstance(max_pending_rows, _np.integer):
            max_pending_rows = int(max_pending_rows)
        try:
            options = _json.dumps({"max_pending_rows": max_pending_rows}, allow_nan=False)
        except (TypeError, ValueError):
            raise ConfigError(f"config: scorer.max_pending_rows expects an integer (got {max_pending_rows!r})") from None
        base = _resolve(customers, contacts, purchases, referrals, strict)
        self._strict = strict
        self._scorer = _rapport._Scorer(base, _day(as_of, "as_of"), _config(config, threads), options)

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
        raises :class:`DataError` when the Scorer is strict (the accepted rows stay added).
        A contact or purchase of a customer not added yet is not a reject: it is held (see
        :attr:`pending`) and applied when the customer arrives."""
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

    def changes(self) -> _pd.DataFrame:
        """Only the rows rescored since the last call (every row at the first call, after
        :meth:`refit` or a move of :attr:`as_of`), as a DataFrame with the columns of
        :meth:`scores`, in row order of :meth:`scores`; O(changed rows), not O(base).
        ``upserve_score`` is a base-wide rank: rows not rescored keep theirs, which may lag the
        current ranks slightly (docs/live.md)."""
        return _frame(self._scorer.changes())

    def write_changes(self, uri: str, table: str = "scores") -> int:
        """Upserts the rows rescored since the last :meth:`changes` / :meth:`write_changes` into
        the scores table ``table`` of the database ``uri`` (``sqlite:PATH`` or PostgreSQL; the
        table of ``rapport score --out-table``, created when missing) in one transaction, and
        returns how many rows were written. On failure nothing is written and the rows stay in
        the change set."""
        return self._scorer.write_changes(str(uri), str(table))

    @property
    def pending(self) -> Dict[str, int]:
        """Rows held for customers not added yet: ``{"contacts": n, "purchases": m}``. A full
        run of the same rows rejects them as unknown customers; :meth:`summary` counts them so
        (in ``rows[table]["rejected"]``) and also shows them as ``rows[table]["pending"]``."""
        return dict(self._scorer.pending)

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
        customer id. Raises IndexError for an unknown row (negative ones included) or id, and
        TypeError for anything else (a bool or a fractional number is not a row)."""
        if isinstance(customer, str):
            return _json.loads(self._scorer.explain_id(customer))
        if isinstance(customer, (bool, _np.bool_)):
            raise TypeError("explain: a row number or a customer id, not %r" % (customer,))
        row = _operator.index(customer)  # TypeError for 1.5, None, ...
        if row < 0 or row >= 2 ** 63:
            raise IndexError("explain: no scored row %d" % row)
        return _json.loads(self._scorer.explain_row(row))
