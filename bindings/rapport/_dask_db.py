"""Reading a database for :mod:`rapport.dask`: PostgreSQL tables in ctid ranges inside one exported
snapshot, SQLite tables whole in one read transaction (see :func:`rapport.dask.read_db`)."""

from __future__ import annotations

import uuid as _uuid
from typing import Any, Dict, List, Optional, Tuple

import numpy as _np
from dask import delayed as _delayed

import rapport as _r
from rapport import _rapport

from ._db import _tables_arg

_BLOCK = 8192  # PostgreSQL's page size unless built otherwise; only the range sizes depend on it


def _db_cut(uri: str, snapshot: str, reads: list) -> list:
    return _rapport._db_cut(uri, snapshot, reads)


def _one_cut(uri: str, snapshot: str, read: tuple) -> tuple:
    return _db_cut(uri, snapshot, [read])[0]


def _whole_read(uri: str, token: str, reads: list) -> list:
    """SQLite: every table read in one transaction of its own (``token``, one per handle, only
    keys the task: two handles on a file changed between them never share a result)."""
    return _db_cut(uri, "", reads)


class _DbState:
    """What a :class:`DbTable`'s tasks need of its :class:`DbSnapshot`: the URI, the C++ handle
    (whose transaction holds the snapshot), the snapshot id and, for SQLite, the one whole-read
    task. The tables reference this, not the snapshot dict, so no reference cycle keeps a dropped
    snapshot's transaction open until the cyclic garbage collector runs."""

    def __init__(self, uri: str, handle: Any) -> None:
        self.uri = uri
        self.handle = handle
        self.id = handle.id
        self.token = _uuid.uuid4().hex
        self.tables: List[Tuple[str, str, List[str]]] = []  # (table, name, columns), input order
        self.whole_task = None

    @property
    def closed(self) -> bool:
        return self.handle.closed

    def check_open(self) -> None:
        if self.closed:
            raise _r.UsageError("rapport.dask.read_db: the snapshot is closed (read the tables while it is open)")

    def whole(self):
        """SQLite: the one task that reads every table (whole, one piece each)."""
        if self.whole_task is None:
            from .dask import _key_column

            reads = [(name, None, None, _key_column(columns, table), 1, True) for table, name, columns in self.tables]
            self.whole_task = _delayed(_whole_read, pure=True)(self.uri, self.token, reads)
        return self.whole_task


def _recut(whole: list, index: int, parts: int) -> tuple:
    """One table of a whole-database read (one piece holding all its rows, and each row's key
    hash) split into ``parts`` pieces by that hash, as one range of it would be cut."""
    info, piece, hashes = whole[index]
    rows, which = piece[1][:, 0], hashes % _np.uint64(parts)
    return (info,) + tuple(_rapport._merge_pieces([piece], [], rows[which != k].tolist()) for k in range(parts))


class DbTable:
    """One input table of a database, cut into read ranges (what :func:`rapport.dask.read_db` returns).

    PostgreSQL: each range is a span of the table's heap pages, read by one task on a connection
    of its own in the snapshot of the :class:`DbSnapshot` the table belongs to (a table or a
    materialized view; a view, a foreign or partitioned table, a table with inheritance children
    and every table of a server older than 14 is one range). SQLite: the table is read whole, with
    the other tables, in one task and one read transaction. A table keeps its snapshot open while
    it is referenced.

    Attributes
    ----------
    table : str
        customers, contacts, purchases or referrals.
    name : str
        The table's name in the database (``crm.clients``), as rejects name it (``file``).
    columns : list of str
        Its column names.
    ranges : list of tuple
        (first page, end page) per range (end None: to the table's end; (None, None): whole).
    npartitions : int
        The number of ranges.
    """

    def __init__(self, state: _DbState, table: str, name: str, header: bytes, columns: List[str],
                 pages: Optional[int], pages_per_range: Optional[int]) -> None:
        self._state = state
        self.table = table
        self.name = name
        self.header = header
        self.columns = list(columns)
        if pages is None:
            self.ranges = [(None, None)]
        else:
            step = max(1, pages_per_range or pages or 1)
            firsts = list(range(0, pages, step)) or [0]
            # the last range is open-ended: pages added since the size was taken hold no row of the snapshot
            self.ranges = [(lo, lo + step if lo + step < pages else None) for lo in firsts]
        self.npartitions = len(self.ranges)

    def _cuts(self, key: int, parts: int) -> List[Any]:
        """The range tasks: per range (info, piece 0, ..., piece P-1), rows numbered from 0 and
        lines from 1 in each range (shifted by the rows before it when merged)."""
        s = self._state
        s.check_open()
        if not s.id:  # SQLite: every table in one task, one read transaction, then split per table
            index = [t[0] for t in s.tables].index(self.table)
            return [_delayed(_recut, nout=parts + 1, pure=True)(s.whole(), index, parts)]
        return [_delayed(_one_cut, nout=parts + 1, pure=True)(s.uri, s.id, (self.name, lo, hi, key, parts))
                for lo, hi in self.ranges]


class DbSnapshot(dict):
    """The tables of :func:`rapport.dask.read_db` (a dict ``{'customers', 'contacts', 'purchases',
    'referrals'}`` of :class:`DbTable`, None where a table does not exist) and the read snapshot
    they are read in.

    PostgreSQL: a connection holds a REPEATABLE READ READ ONLY transaction whose snapshot
    (``pg_export_snapshot()``) every range task imports (``SET TRANSACTION SNAPSHOT``), so every
    range sees the database as it was when :func:`read_db` returned, whatever is written since.
    The snapshot lives as long as that transaction: until :meth:`close` (or the end of a ``with``
    block, or once neither this object nor any of its tables is referenced), so keep it open until
    every run reading these tables has finished with them (a range read again after a worker is
    lost needs it too). While open, the tables are locked ACCESS SHARE: nobody can drop, truncate,
    alter or rewrite them (writes go on); and the snapshot's xmin holds back VACUUM in the whole
    database (no row version deleted since can be removed), so close it when done.
    SQLite: no transaction is held (writers go on); the tables are read in one task, in one read
    transaction of its own: the read reflects the file as it is when that task runs.

    Attributes
    ----------
    uri : str
        The database URI.
    id : str
        The exported snapshot id (empty for SQLite).
    tables : list of DbTable
        The tables that exist, in input order.
    """

    def __init__(self, uri: str, tables: Optional[Dict[str, str]], pages_per_range: Optional[int]) -> None:
        super().__init__()
        self.uri = uri
        self._state = None
        self._state = _DbState(uri, _rapport._DbSnapshot(uri, _tables_arg(tables)))
        self.id = self._state.id
        learned = self._state.handle.tables()
        self._state.tables = [(key, name, list(columns)) for key, name, _, columns, _ in learned]
        self.tables = [DbTable(self._state, key, name, header, columns, pages, pages_per_range)
                       for key, name, header, columns, pages in learned]
        for t in ("customers", "contacts", "purchases", "referrals"):
            self[t] = next((d for d in self.tables if d.table == t), None)

    @property
    def closed(self) -> bool:
        return self._state is None or self._state.closed

    def close(self) -> None:
        """End the snapshot's transaction and close its connection (idempotent). Range reads not
        yet run fail after this (PostgreSQL: the snapshot id is no longer valid)."""
        if self._state is not None:
            self._state.handle.close()

    def __enter__(self) -> "DbSnapshot":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<rapport.dask.DbSnapshot {state} {dict.__repr__(self)}>"
