"""Type aliases of the public signatures (the annotations of every module and the generated stub)."""

from __future__ import annotations

import datetime as _dt
import os as _os
from collections.abc import Mapping as _Mapping
from typing import Any, Union

import numpy as _np
import numpy.typing as _npt
import pandas as _pd

from ._rapport import CustomerBase, ScoringConfig


DateLike = Union[_dt.date, _dt.datetime, _np.datetime64, _pd.Timestamp, str]
"""A date: ``datetime.date``, ``datetime.datetime``, ``numpy.datetime64``, ``pandas.Timestamp`` or ``'YYYY-MM-DD'``."""
Frame = Union[_pd.DataFrame, _Mapping[str, Any]]
"""A table: a DataFrame or a mapping of column name to column."""
PathLike = Union[str, "_os.PathLike[str]"]
"""A file or directory path."""
CustomersArg = Union[_pd.DataFrame, _Mapping[str, Any], CustomerBase, str, "_os.PathLike[str]"]
"""What the scoring functions take as ``customers``: a table, a CustomerBase or a path."""
ConfigArg = Union[ScoringConfig, _Mapping[str, Any], str, None]
"""A scoring configuration: a ScoringConfig, a dict of its fields or JSON text."""
ArrayLike = _npt.ArrayLike
"""Anything numpy.asarray takes."""
