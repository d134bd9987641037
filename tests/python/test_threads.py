"""The GIL is released while scoring and fitting: another Python thread keeps running."""

import threading
import time

import numpy as np
import pytest

import rapport


def run_with_counter(fn):
    """Runs fn() while a second Python thread counts; returns (result, increments, seconds)."""
    count = 0
    stop = threading.Event()

    def spin():
        nonlocal count
        while not stop.is_set():
            count += 1

    t = threading.Thread(target=spin, daemon=True)
    t.start()
    time.sleep(0.05)
    before = count
    t0 = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - t0
    during = count - before
    stop.set()
    t.join()
    return result, during, elapsed


@pytest.fixture(scope="module")
def free_rate():
    """Increments per second of the counter thread while the main thread sleeps."""
    _, during, elapsed = run_with_counter(lambda: time.sleep(0.5))
    return during / elapsed


def test_counter_detects_a_held_gil(free_rate):
    # sum() over a huge range runs in C without releasing the GIL: the counter nearly stalls
    # (it only runs in the few switch intervals around the call).
    _, during, elapsed = run_with_counter(lambda: sum(range(40_000_000)))
    assert during < 0.15 * free_rate * elapsed, (during, elapsed, free_rate)


def test_other_thread_progresses_during_score(free_rate):
    base = rapport.generate(200_000, seed=1)
    assert base.customers == 200_000 and base.contacts > 3_000_000
    df, during, elapsed = run_with_counter(lambda: rapport.score(base, threads=1))
    assert len(df) > 150_000
    assert elapsed > 0.1
    assert during > 0.15 * free_rate * elapsed, (during, elapsed, free_rate)


def test_other_thread_progresses_during_fit(free_rate):
    rng = np.random.default_rng(0)
    n = 400_000
    T = rng.uniform(30, 400, n).round()
    x = rng.poisson(2.0, n).astype(float)
    t_x = np.where(x > 0, (T * rng.uniform(0, 1, n)).round(), 0.0)
    _, during, elapsed = run_with_counter(lambda: rapport.fit_bgnbd(x, t_x, T))
    assert during > 0.15 * free_rate * elapsed, (during, elapsed, free_rate)
