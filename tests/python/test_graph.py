"""PageRank and Katz reach over integer edge arrays."""

import numpy as np
import pytest

import rapport


def test_pagerank_cycle_is_uniform():
    pr = rapport.pagerank([0, 1, 2, 3], [1, 2, 3, 0])
    assert pr.shape == (4,)
    np.testing.assert_allclose(pr, 0.25, rtol=0, atol=1e-12)


def test_pagerank_star_and_dangling():
    # everyone points at 0; 0 and the isolated 4 are dangling (their rank spreads over all 5)
    pr = rapport.pagerank(np.array([1, 2, 3], dtype=np.int32), [0, 0, 0], n=5)
    assert pr.shape == (5,)
    assert pr.sum() == pytest.approx(1.0, abs=1e-12)
    # by hand, d = 0.85, n = 5: a leaf (1, 2, 3 and 4) has no in-edges, so
    #   leaf = (1 - d)/n + d (p0 + leaf)/n   and   p0 + 4 leaf = 1
    #   → leaf = 0.03 + 0.17 (1 - 3 leaf) → leaf = 0.2 / 1.51 = 20/151, p0 = 1 - 80/151 = 71/151
    np.testing.assert_allclose(pr, [71 / 151] + [20 / 151] * 4, rtol=1e-10)


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
