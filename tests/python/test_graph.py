"""PageRank and Katz reach over integer edge arrays."""

import numpy as np
import pytest

import rapport


def test_pagerank_cycle_is_uniform():
    pr = rapport.pagerank([0, 1, 2, 3], [1, 2, 3, 0])
    assert pr.shape == (4,)
    np.testing.assert_allclose(pr, 0.25, rtol=0, atol=1e-12)


def test_pagerank_star_and_dangling():
    # everyone points at 0; 0 is dangling
    pr = rapport.pagerank(np.array([1, 2, 3], dtype=np.int32), [0, 0, 0], n=5)
    assert pr.shape == (5,)
    assert pr.sum() == pytest.approx(1.0, abs=1e-12)
    assert pr[0] == pr.max() and pr[4] == pytest.approx(pr[1])
    # networkx reference value for this graph (damping 0.85)
    d, n = 0.85, 5
    leaf = None
    # solve the 2-unknown system: p0 = (1-d)/n + d*(3*leaf + p0/n ... ) via power iteration in numpy
    P = np.zeros((n, n))
    for s, t in [(1, 0), (2, 0), (3, 0)]:
        P[t, s] = 1
    for j in (0, 4):
        P[:, j] = 1 / n
    x = np.full(n, 1 / n)
    for _ in range(500):
        x = (1 - d) / n + d * P @ x
    np.testing.assert_allclose(pr, x, rtol=1e-10)
    assert leaf is None


def test_katz_chain():
    # 0 -> 1 -> 2 -> 3: katz(0) = 1 + 0.5 + 0.25
    k = rapport.katz_reach([0, 1, 2], [1, 2, 3])
    np.testing.assert_allclose(k, [1.75, 1.5, 1.0, 0.0])
    k2 = rapport.katz_reach([0, 1, 2], [1, 2, 3], beta=1.0, max_depth=2)
    np.testing.assert_allclose(k2, [2, 2, 1, 0])


def test_katz_diverges():
    with pytest.raises(ValueError):
        rapport.katz_reach([0, 1], [1, 0], beta=2.0)


def test_bad_edges():
    with pytest.raises(TypeError):
        rapport.pagerank([0.5], [1.0])
    with pytest.raises(ValueError):
        rapport.pagerank([0, -1], [1, 0])
    with pytest.raises(ValueError):
        rapport.pagerank([0, 5], [1, 0], n=3)
    with pytest.raises(ValueError):
        rapport.pagerank([0, 1], [1])
    assert rapport.pagerank([], [], n=3).tolist() == pytest.approx([1 / 3] * 3)
