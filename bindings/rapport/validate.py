"""Check the value models on a holdout: ``rapport.validate``.

The base is split at ``holdout_from`` (D1): every purchase before D1 is the calibration (as of
D1 - 1), on which each model is fitted; the purchase days in [D1, ``holdout_to``] of the customers
who bought before D1 are the holdout its predictions are compared with. See docs/validation.md.
"""

from __future__ import annotations

import json as _json
import os as _os
from typing import Any, Dict, Optional, Sequence, Union

from . import _rapport
from . import ConfigArg, CustomersArg, Frame, FitError, _config, _day, _resolve

__all__ = ["validate"]


def validate(
    customers: CustomersArg,
    contacts: Optional[Frame] = None,
    purchases: Optional[Frame] = None,
    referrals: Optional[Frame] = None,
    *,
    holdout_from: Any,
    holdout_to: Any = None,
    value_model: Union[str, Sequence[str]] = "bgnbd",
    config: ConfigArg = None,
    threads: Optional[int] = None,
    strict: bool = False,
    report: Optional[Union[str, "_os.PathLike[str]"]] = None,
) -> Dict[str, Any]:
    """Fit the value models before ``holdout_from`` and compare them with what customers did next.

    Parameters
    ----------
    customers, contacts, purchases, referrals
        As for :func:`rapport.score`: DataFrames, a :class:`rapport.CustomerBase` or CSV paths.
    holdout_from : date-like
        D1, the holdout's first day; the models are fitted on the purchases before it.
    holdout_to : date-like, optional
        D2, the holdout's last day (default: the last purchase day of the base).
    value_model : str or sequence of str, default "bgnbd"
        The purchase models to check: ``bgnbd``, ``pareto_nbd``, ``mbgnbd``, ``bgbb`` (needs the
        config's ``opportunity_days``), ``sbg`` (needs customers with ``ended_on``), several, or
        ``"all"`` (bgbb and sbg only when the base and config can feed them).
    config : ScoringConfig, dict or JSON text, optional
        Fit options and threads.
    threads : int, optional
        Worker threads (overrides the config's).
    strict : bool, default False
        Raise :class:`rapport.DataError` on a rejected row and :class:`rapport.FitError` when a model
        cannot be fitted (otherwise it is reported with ``fitted: False`` and its reason).
    report : path, optional
        Also write the HTML page there (as ``rapport validate --report``).

    Returns
    -------
    dict
        The CLI's ``rapport validate --out`` JSON, parsed: the split (``calibration_as_of``,
        ``holdout_from``, ``holdout_to``, ``customers``, ``actual_holdout_purchases``),
        ``tracking`` (per 7-day week: actual and expected, weekly and cumulative), ``models``
        (per model: ``fit`` with params in days, std_errors, log_likelihood, aic, bic; ``holdout``
        with unit, customers, actual, predicted, percent_error, mae, rmse, correlation, in the
        model's unit: purchase days, bgbb's opportunities with a purchase, sbg's renewals;
        ``by_frequency`` (sbg: by contract periods survived);
        ``p_alive_calibration``; bgbb and sbg: ``tracking_periods``, per opportunity or contract
        period k across calibration and holdout, ``customers`` observed that long, ``actual``,
        ``expected``, ``actual_cumulative``, ``expected_cumulative``) and ``spend`` (Gamma-Gamma).
    """
    models = value_model if isinstance(value_model, str) else ",".join(value_model)
    d1 = _day(holdout_from, "holdout_from")
    if d1 is None:
        raise TypeError("holdout_from: a date is required")
    d2 = _day(holdout_to, "holdout_to")
    cfg = _config(config, threads)
    base = _resolve(customers, contacts, purchases, referrals, strict)
    out = "" if report is None else _os.fspath(report)
    result = _json.loads(_rapport._validate(base, d1, d2, models, cfg, out))
    if strict:
        for m in result["models"] + [result["spend"]]:
            if not m["fitted"]:
                raise FitError(f"{m['model']}: {m['reason']}")
    return result
