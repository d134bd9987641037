"""The GIL is released while scoring: another Python thread keeps running."""

import threading
import time

import rapport


def run_with_counter(fn):
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


def test_other_thread_progresses_during_score():
    base = rapport.generate(200_000, seed=1)
    assert base.customers == 200_000 and base.contacts > 3_000_000
    df, during, elapsed = run_with_counter(lambda: rapport.score(base, threads=2))
    assert len(df) > 150_000
    # A thread blocked on the GIL for the whole call would count (almost) nothing; this one
    # runs freely: at least 10,000 increments per second of scoring.
    assert during > 10_000 * elapsed, (during, elapsed)
    assert during > 10_000


def test_other_thread_progresses_during_fit():
    import numpy as np

    rng = np.random.default_rng(0)
    n = 300_000
    T = rng.uniform(30, 400, n).round()
    x = rng.poisson(2.0, n).astype(float)
    t_x = np.where(x > 0, (T * rng.uniform(0, 1, n)).round(), 0.0)
    _, during, elapsed = run_with_counter(lambda: rapport.fit_bgnbd(x, t_x, T))
    assert during > 1_000, (during, elapsed)
