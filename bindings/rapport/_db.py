"""Loading and scoring the tables of a database (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Mapping as _Mapping
from typing import Dict, Optional

import pandas as _pd

from . import _rapport
from ._rapport import CustomerBase
from ._types import ConfigArg, DateLike
from ._data import _check_rejects
from ._score import score


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
    as_of: Optional[DateLike] = None,
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
