"""Centrality of any referral graph given as edge arrays: PageRank and Katz reach."""

from __future__ import annotations

from typing import Any, Optional

import numpy as _np
import numpy.typing as _npt

from . import _rapport
from ._types import ArrayLike


def _edges(sources: Any, targets: Any, n: Optional[int]):
    s = _np.asarray(sources)
    t = _np.asarray(targets)
    for name, a in (("sources", s), ("targets", t)):
        if a.size and not _np.issubdtype(a.dtype, _np.integer):
            raise TypeError(f"{name}: expected integer node ids, not {a.dtype}")
    s = s.astype(_np.int64, copy=False).ravel()
    t = t.astype(_np.int64, copy=False).ravel()
    return s, t, -1 if n is None else int(n)


def pagerank(
    sources: ArrayLike,
    targets: ArrayLike,
    n: Optional[int] = None,
    damping: float = 0.85,
    tolerance: float = 1e-12,
    *,
    max_iterations: int = 1000,
    threads: int = 0,
) -> _npt.NDArray[_np.float64]:
    """PageRank of a directed graph given as edge arrays (matches networkx and igraph).

    Parameters
    ----------
    sources, targets : array_like of int
        Edge endpoints (node ids 0..n-1); repeated edges count with multiplicity.
    n : int, optional
        Number of nodes (default: largest id + 1).
    damping : float, default 0.85
        Probability of following an out-edge.
    tolerance : float, default 1e-12
        Accuracy: the solve stops once the L1 error of the result is below
        ``2 * tolerance * damping / (1 - damping)``.
    max_iterations : int, default 1000
        Cap on the Gauss-Seidel sweeps over the graph's cyclic core.
    threads : int, default 0
        Accepted for compatibility; the solve runs on one thread.

    Returns
    -------
    numpy.ndarray
        One score per node, summing to 1. Dangling nodes' mass is spread uniformly.

    Raises
    ------
    ValueError
        Ids out of range, arrays of different lengths, or invalid damping/tolerance.
    """
    s, t, nn = _edges(sources, targets, n)
    values, _, _ = _rapport._pagerank(s, t, nn, float(damping), float(tolerance), int(max_iterations), int(threads))
    return values


def katz_reach(
    sources: ArrayLike,
    targets: ArrayLike,
    n: Optional[int] = None,
    beta: float = 0.5,
    tolerance: float = 1e-12,
    *,
    max_depth: int = 0,
    max_iterations: int = 1000,
    threads: int = 0,
) -> _npt.NDArray[_np.float64]:
    """Katz reach: attenuated count of the walks leaving each node (its referral chains).

    For node i, the sum over k >= 1 of ``beta**(k-1)`` times the number of walks of length k
    starting at i; on a referral forest, the sum over descendants j of
    ``beta**(depth(j) - depth(i) - 1)``.

    Parameters
    ----------
    sources, targets : array_like of int
        Edge endpoints (node ids 0..n-1), referrer -> referred.
    n : int, optional
        Number of nodes (default: largest id + 1).
    beta : float, default 0.5
        Attenuation per extra hop.
    tolerance : float, default 1e-12
        Relative L1 convergence threshold.
    max_depth : int, default 0
        Longest walk counted; 0 sums the series to convergence.
    max_iterations : int, default 1000
        Cap when ``max_depth == 0``; reaching it means divergence.
    threads : int, default 0
        Worker threads (0 = all cores); the result does not depend on it.

    Returns
    -------
    numpy.ndarray
        One value per node.

    Raises
    ------
    ValueError
        The series diverges (beta times the spectral radius >= 1), ids are out of range, or
        beta/tolerance are invalid.
    """
    s, t, nn = _edges(sources, targets, n)
    values, _, _ = _rapport._katz_reach(
        s, t, nn, float(beta), int(max_depth), float(tolerance), int(max_iterations), int(threads)
    )
    return values
