"""rapport: score a company's customer relationships.

Per customer and for the whole base, rapport computes

* **loyalty given** -- how loyal the business has been *to* the customer,
* **up-serve opportunity** -- where serving a customer better would pay off most, and
* **referral potential** -- how likely a customer is to refer others now, and how far their
  referral chains reach.

DataFrames go in, DataFrames come out; the scoring runs in C++ with the GIL released.

Examples
--------
>>> import rapport
>>> scores = rapport.score(customers, contacts, purchases, referrals, as_of="2026-06-30")
>>> scores.sort_values("upserve_value", ascending=False).head(10)
>>> rapport.summary(customers, contacts, purchases, referrals)["loyalty_given"]["overall"]
"""

from __future__ import annotations

from typing import Any

# The package is split by area and this file only re-exports. The modules (private: the public
# names are those of __all__, documented as rapport.<name>):
#   _rapport  the C++ extension: CustomerBase, ScoringConfig, the error kinds, the constants
#   _types    the type aliases of the signatures   _errors  the exception and warning classes
#   _data     load, load_dir, generate, generate_csv and the CustomerBase's Python methods
#   _config   a ScoringConfig from what ``config=`` was given
#   _score    score, score_dir, explain, summary, run, Result
#   _db       load_db, score_db                    _report  report
#   _models   BG/NBD and Gamma-Gamma on arrays     _graph   pagerank, katz_reach
#   _scorer   Scorer (live scoring)                _history history, trend
# and the public submodules plot and dask, imported on first use. The stub __init__.pyi is
# generated from the modules' annotations at build time (bindings/make_stub.py);
# tests/python/test_api.py checks it against the runtime signatures.

from . import _rapport
from ._rapport import (
    ASPECTS,
    CHANNELS,
    INITIATORS,
    LOYALTY_COMPONENTS,
    REFERRAL_COMPONENTS,
    SCORE_COLUMNS,
    STAGES,
    ConfigError,
    CustomerBase,
    Error,
    FitError,
    InputError,
    InternalError,
    NotFoundError,
    OutputError,
    ScoringConfig,
    UsageError,
    format_number,
)
from ._types import ArrayLike, ConfigArg, CustomersArg, DateLike, Frame, PathLike  # noqa: F401
from ._errors import DataError, RejectedRowsWarning, ValueModelWarning
from ._data import generate, generate_csv, load, load_dir
from ._score import Result, explain, run, score, score_dir, summary
from ._db import load_db, score_db
from ._report import report
from ._models import bgnbd_expected_purchases, bgnbd_p_alive, fit_bgnbd, fit_gamma_gamma, gamma_gamma_expected_spend
from ._graph import katz_reach, pagerank
from ._scorer import Scorer
from ._history import history, trend
from .value import ValueModel, fit_value_model

# internals that rapport.dask shares with the one-machine functions
from ._config import _config  # noqa: F401
from ._data import _date, _day, _resolve  # noqa: F401
from ._errors import _rejects_frame  # noqa: F401

from .validate import validate  # after the internals above: rapport/validate.py uses them

__version__: str = _rapport.__version__

__all__ = [
    "ASPECTS",
    "CHANNELS",
    "INITIATORS",
    "LOYALTY_COMPONENTS",
    "REFERRAL_COMPONENTS",
    "SCORE_COLUMNS",
    "STAGES",
    "ConfigError",
    "CustomerBase",
    "DataError",
    "Error",
    "FitError",
    "InputError",
    "InternalError",
    "NotFoundError",
    "OutputError",
    "RejectedRowsWarning",
    "Result",
    "Scorer",
    "ScoringConfig",
    "UsageError",
    "ValueModel",
    "ValueModelWarning",
    "bgnbd_expected_purchases",
    "bgnbd_p_alive",
    "explain",
    "fit_bgnbd",
    "fit_value_model",
    "fit_gamma_gamma",
    "format_number",
    "gamma_gamma_expected_spend",
    "generate",
    "history",
    "generate_csv",
    "katz_reach",
    "load",
    "load_db",
    "load_dir",
    "pagerank",
    "plot",
    "report",
    "run",
    "score",
    "score_db",
    "score_dir",
    "summary",
    "trend",
    "validate",
]

for _name in __all__:  # the public names read rapport.<name> in help(), reprs and pickles
    _obj = globals().get(_name)
    if getattr(_obj, "__module__", "").startswith("rapport._") and _obj.__module__ != "rapport._rapport":
        _obj.__module__ = __name__
del _name, _obj


def __getattr__(name: str) -> Any:
    # rapport.plot imports matplotlib: only on first use
    if name in ("plot", "dask"):  # rapport.dask imports dask: only on first use
        import importlib

        return importlib.import_module("." + name, __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
