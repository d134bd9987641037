"""The exception and warning classes (the C++ kinds come from the extension)."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

import pandas as _pd

from ._rapport import ConfigError, Error, FitError, InputError, InternalError, NotFoundError, OutputError, UsageError


Error.__doc__ = """Base of every error rapport raises on purpose (one class per kind of the C++ rapport::Error).

Each kind is also the built-in exception it has always been: :class:`InputError`,
:class:`ConfigError` and :class:`UsageError` are ValueErrors, :class:`NotFoundError` an
IndexError, :class:`FitError`, :class:`OutputError` and :class:`InternalError` RuntimeErrors.
``except rapport.Error`` catches them all.
"""
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
OutputError.__doc__ = """An output refused or that could not be written (a RuntimeError).

Raised before any work when an output (``out=``, :func:`generate_csv`'s folder) is one of the
function's input files (the CSV files or SQLite database a :class:`CustomerBase` was read from,
by device and inode: a symlink or hard link is recognised), a directory, or in a missing folder;
and when writing fails (disk full, no permission). The message names the file and the reason; the
target is then untouched (docs/outputs.md).
"""
UsageError.__doc__ = """A call outside a function's contract (a ValueError).

Raised for arrays of different lengths (e.g. ``x`` and ``m`` of :func:`fit_gamma_gamma`) or an
edge naming a node outside ``n``.
"""
NotFoundError.__doc__ = """A row or customer asked for that is not there (an IndexError).

Raised by :meth:`Scorer.explain` for an unknown row or customer id.
"""
InternalError.__doc__ = """A broken invariant inside rapport: a bug, never the input's fault (a RuntimeError)."""
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


_REJECT_COLUMNS = ["table", "row", "column", "reason", "file", "line", "column_number", "raw"]


def _rejects_frame(rejects: Sequence[Dict[str, Any]]) -> _pd.DataFrame:
    return _pd.DataFrame(list(rejects), columns=_REJECT_COLUMNS)
