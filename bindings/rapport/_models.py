"""The value models: fitting and evaluating BG/NBD and Gamma-Gamma on arrays."""

from __future__ import annotations

from collections.abc import Mapping as _Mapping
from typing import Any, Dict, List, Union

import numpy as _np
import numpy.typing as _npt

from . import _rapport
from ._types import ArrayLike


def _doubles(*arrays: Any) -> List[_np.ndarray]:
    return [_np.ascontiguousarray(_np.asarray(a, dtype=_np.float64)).ravel() for a in arrays]


def fit_bgnbd(
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    *,
    max_iterations: int = 200,
    gradient_tolerance: float = 1e-9,
    min_customers: int = 10,
) -> Dict[str, float]:
    """Fit the BG/NBD repeat-purchase model (Fader, Hardie & Lee 2005) by maximum likelihood.

    Parameters
    ----------
    x : array_like
        Repeat purchases per customer.
    t_x : array_like
        Time of the last purchase since the first (days in rapport; any unit works).
    T : array_like
        Age: time from the first purchase to the end of the observation period (same unit).
    max_iterations : int, default 200
        Optimiser iterations before giving up.
    gradient_tolerance : float, default 1e-9
        Convergence threshold (max relative gradient in log-parameter space).
    min_customers : int, default 10
        Fewer customers than this is a :class:`FitError`.

    Returns
    -------
    dict
        ``{'r', 'alpha', 'a', 'b', 'log_likelihood'}``; ``alpha`` is in the unit of ``t_x``/``T``.

    Raises
    ------
    FitError
        Too few customers, no repeat buyer, or no convergence.
    ValueError
        The arrays differ in length; a fit option is outside its domain (:class:`ConfigError`,
        see docs/settings.md).

    Notes
    -----
    The GIL is released during the fit.
    """
    xs, txs, Ts = _doubles(x, t_x, T)
    return _rapport._fit_bgnbd(xs, txs, Ts, int(max_iterations), float(gradient_tolerance), int(min_customers))


def fit_gamma_gamma(
    x: ArrayLike,
    m: ArrayLike,
    *,
    max_iterations: int = 200,
    gradient_tolerance: float = 1e-9,
    min_customers: int = 10,
) -> Dict[str, float]:
    """Fit the Gamma-Gamma spend model by maximum likelihood.

    Parameters
    ----------
    x : array_like
        Repeat purchases per customer; rows with ``x < 1`` are skipped.
    m : array_like
        Mean spend per repeat purchase; rows with ``m <= 0`` are skipped.
    max_iterations, gradient_tolerance, min_customers
        As for :func:`fit_bgnbd`.

    Returns
    -------
    dict
        ``{'p', 'q', 'gamma', 'log_likelihood'}``.

    Raises
    ------
    FitError
        Fewer than ``min_customers`` qualifying rows, no convergence, or ``q <= 1``.
    ValueError
        The arrays differ in length; a fit option is outside its domain (:class:`ConfigError`).

    Notes
    -----
    The GIL is released during the fit.
    """
    xs, ms = _doubles(x, m)
    return _rapport._fit_gamma_gamma(xs, ms, int(max_iterations), float(gradient_tolerance), int(min_customers))


def _broadcast(*arrays: Any):
    b = _np.broadcast_arrays(*[_np.asarray(a, dtype=_np.float64) for a in arrays])
    shape = b[0].shape
    return shape, [_np.ascontiguousarray(a).ravel() for a in b]


def _shaped(values: _np.ndarray, shape: tuple) -> Union[_np.ndarray, float]:
    return float(values[0]) if shape == () else values.reshape(shape)


def bgnbd_p_alive(
    params: _Mapping[str, float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> Union[_npt.NDArray[_np.float64], float]:
    """Probability that a customer with history (x, t_x, T) is still alive under BG/NBD.

    Parameters
    ----------
    params : dict
        ``{'r', 'alpha', 'a', 'b'}``, e.g. from :func:`fit_bgnbd`.
    x, t_x, T : array_like
        Repeat purchases, time of last purchase, age (broadcast together; unit of alpha).

    Returns
    -------
    numpy.ndarray or float
        P(alive), with the broadcast shape (a float for scalar input).
    """
    shape, (xs, txs, Ts) = _broadcast(x, t_x, T)
    return _shaped(_rapport._bgnbd_p_alive(dict(params), xs, txs, Ts), shape)


def bgnbd_expected_purchases(
    params: _Mapping[str, float], horizon: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> Union[_npt.NDArray[_np.float64], float]:
    """Expected purchases in the next ``horizon`` time units under BG/NBD.

    Parameters
    ----------
    params : dict
        ``{'r', 'alpha', 'a', 'b'}``, e.g. from :func:`fit_bgnbd`.
    horizon : float
        Length of the future period (unit of alpha).
    x, t_x, T : array_like
        Repeat purchases, time of last purchase, age (broadcast together).

    Returns
    -------
    numpy.ndarray or float
        Expected purchases, with the broadcast shape (a float for scalar input).
    """
    shape, (xs, txs, Ts) = _broadcast(x, t_x, T)
    return _shaped(_rapport._bgnbd_expected_purchases(dict(params), float(horizon), xs, txs, Ts), shape)


def gamma_gamma_expected_spend(
    params: _Mapping[str, float], x: ArrayLike, m: ArrayLike
) -> Union[_npt.NDArray[_np.float64], float]:
    """Expected spend per future purchase under Gamma-Gamma.

    Parameters
    ----------
    params : dict
        ``{'p', 'q', 'gamma'}``, e.g. from :func:`fit_gamma_gamma`.
    x, m : array_like
        Repeat purchases and mean repeat spend (broadcast together).

    Returns
    -------
    numpy.ndarray or float
        ``(gamma + m x) p / (p x + q - 1)`` for x >= 1, ``p gamma / (q - 1)`` for x = 0.
    """
    shape, (xs, ms) = _broadcast(x, m)
    return _shaped(_rapport._gamma_gamma_expected_spend(dict(params), xs, ms), shape)
