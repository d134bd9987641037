#!/usr/bin/env python3
"""Value-model fits: rapport.fit_value_model against lifetimes, side by side (see README.md).

For each model (bgnbd, pareto_nbd, mbgnbd, bgbb) fits N synthetic customers with
``rapport.fit_value_model`` and lifetimes' BetaGeoFitter / ParetoNBDFitter /
ModifiedBetaGeoFitter / BetaGeoBetaBinomFitter, in one process, and prints seconds, the ratio and
the parameters. When lifetimes is too slow for N, ``--lifetimes-customers M`` fits it on the
first M customers and states its time scaled linearly to N (a likelihood pass is linear in the
customers; the iteration count of its optimiser does not grow with them), next to rapport's own
time on M.

BG/BB histories are whole opportunities, so 1M customers hold only a few hundred distinct
(x, t_x, n) rows: the ``bgbb`` row fits one row per customer (unweighted, as above), and the
``bgbb table`` row fits both libraries on the same compressed table (distinct rows, weights =
how many customers share each) for all N customers, the natural form for both, and checks that
both reach the same parameters.

    PYTHONPATH=build/bindings:/tmp/lifetimes:/tmp/autograd \\
        /usr/bin/python3 benchmarks/peers/value_models_peers.py --customers 1000000 --lifetimes-customers 50000
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bgnbd_peers import generate as generate_bgnbd  # noqa: E402  (the BG/NBD sample, one place)

# The Pareto/NBD sample of bm_value's BM_FitParetoNbd: the CDNOW fit's parameters in days.
PARETO = {"r": 0.55, "alpha": 74.0, "s": 0.61, "beta": 82.0}


def generate_pareto(n: int, seed: int) -> tuple:
    """lambda ~ Gamma(r, 1/alpha), lifetime ~ Exp(mu), mu ~ Gamma(s, 1/beta), T ~ U(30, 540) days;
    purchases a Poisson process at rate lambda until the lifetime ends; t_x exact (real-valued)."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(PARETO["r"], 1.0 / PARETO["alpha"], n)
    life = rng.exponential(1.0, n) / rng.gamma(PARETO["s"], 1.0 / PARETO["beta"], n)
    T = rng.uniform(30.0, 540.0, n)
    end = np.minimum(life, T)
    x = np.zeros(n)
    t_x = np.zeros(n)
    t = np.zeros(n)
    active = np.flatnonzero(lam > 0)
    while active.size:
        t[active] += rng.exponential(1.0, active.size) / lam[active]
        active = active[t[active] <= end[active]]
        x[active] += 1.0
        t_x[active] = t[active]
    return x, t_x, T


# The BG/BB donors of bm_value_models_discrete's BM_FitBgbb (Fader, Hardie & Shang 2010).
BGBB = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
BGBB_MAX_N = 12


def generate_bgbb(n: int, seed: int) -> tuple:
    """p ~ Beta(alpha, beta), theta ~ Beta(gamma, delta), n ~ U{1..12} opportunities; before each
    opportunity the customer dies with probability theta, while alive buys with probability p;
    x purchases, t_x the last opportunity with a purchase (0: none)."""
    rng = np.random.default_rng(seed)
    p = rng.beta(BGBB["alpha"], BGBB["beta"], n)
    theta = rng.beta(BGBB["gamma"], BGBB["delta"], n)
    periods = rng.integers(1, BGBB_MAX_N + 1, n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    for k in range(1, BGBB_MAX_N + 1):
        alive &= rng.random(n) >= theta
        bought = alive & (k <= periods) & (rng.random(n) < p)
        x += bought
        t_x[bought] = k
    return x, t_x, periods.astype(float)


def compress(*columns: np.ndarray) -> tuple:
    """The distinct rows of the columns and how many times each occurs (the weights)."""
    rows, counts = np.unique(np.column_stack(columns), axis=0, return_counts=True)
    return (*rows.T, counts.astype(float))


def max_relative_gap(ours: dict, theirs) -> float:
    """The largest |ours - theirs| / |theirs| over the parameters."""
    return max(abs(v - theirs[k]) / abs(theirs[k]) for k, v in ours.items())


def timed(fn):
    """(wall seconds, CPU seconds of the whole process: every thread), fn()."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def row(name: str, ours_n: tuple, ours_m: tuple, theirs_m: tuple, scale: float, ours: dict, theirs) -> None:
    """One line of the table: (wall, CPU) seconds of rapport on N and M, lifetimes on M, lifetimes
    scaled to N by ``scale`` = N/M, the ratios and both fits' parameters."""
    (w_n, c_n), (w_m, c_m), (w_l, c_l) = ours_n, ours_m, theirs_m
    w_ln, c_ln = w_l * scale, c_l * scale
    mine = " ".join(f"{k}={v:.4g}" for k, v in ours.items())
    other = " ".join(f"{k}={theirs[k]:.4g}" for k in ours)
    print(f"{name:11s} {w_n:6.2f}/{c_n:6.2f} {w_m:6.2f}/{c_m:6.2f} {w_l:7.2f}/{c_l:7.2f} {w_ln:7.1f}/{c_ln:7.1f} "
          f"{w_ln / w_n:9.1f}x {c_ln / c_n:8.1f}x  {mine} | {other}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--lifetimes-customers", type=int, default=0, help="fit lifetimes on the first M (0: all)")
    ap.add_argument("--models", default="bgnbd,pareto_nbd,mbgnbd,bgbb", help="comma-separated subset")
    ap.add_argument("--seed", type=int, default=20241206)
    args = ap.parse_args()

    import rapport
    from lifetimes import BetaGeoBetaBinomFitter, BetaGeoFitter, ModifiedBetaGeoFitter, ParetoNBDFitter

    fitters = {"bgnbd": BetaGeoFitter, "pareto_nbd": ParetoNBDFitter, "mbgnbd": ModifiedBetaGeoFitter,
               "bgbb": BetaGeoBetaBinomFitter}
    generators = {"bgnbd": generate_bgnbd, "pareto_nbd": generate_pareto, "mbgnbd": generate_bgnbd,
                  "bgbb": generate_bgbb}
    # The third input: T (the customer's age) for the continuous models, n (opportunities) for BG/BB.
    third = {"bgbb": "n"}
    n = args.customers
    m = args.lifetimes_customers or n
    print("seconds as wall / CPU (time.process_time: all threads); lifetimes->N scales its M time by N/M")
    print(f"{'model':11s} {'rapport N':>13s} {'rapport M':>13s} {'lifetimes M':>15s} "
          f"{'lifetimes->N':>15s} {'ratio wall':>10s} {'ratio CPU':>9s}  parameters (rapport N | lifetimes M)")
    for name in args.models.split(","):
        x, t_x, T = generators[name](n, args.seed)
        key = third.get(name, "T")
        w_n, c_n, fit_n = timed(lambda: rapport.fit_value_model(name, x=x, t_x=t_x, **{key: T}))
        xs, txs, Ts = x[:m], t_x[:m], T[:m]
        w_m, c_m = (w_n, c_n) if m == n else \
            timed(lambda: rapport.fit_value_model(name, x=xs, t_x=txs, **{key: Ts}))[:2]
        fitter = fitters[name]()
        w_l, c_l, _ = timed(lambda: fitter.fit(xs, txs, Ts))
        row(name, (w_n, c_n), (w_m, c_m), (w_l, c_l), n / m, fit_n.params, fitter.params_)
        if name == "bgbb":
            xk, txk, nk, weights = compress(x, t_x, T)
            w_r, c_r, fit_k = timed(lambda: rapport.fit_value_model(name, x=xk, t_x=txk, n=nk, weights=weights))
            table = fitters[name]()
            w_t, c_t, _ = timed(lambda: table.fit(xk, txk, nk, weights=weights))
            row("bgbb table", (w_r, c_r), (w_r, c_r), (w_t, c_t), 1.0, fit_k.params, table.params_)
            print(f"  bgbb table: {xk.size} distinct (x, t_x, n) rows carry the {n} customers; largest relative "
                  f"parameter gap to lifetimes {max_relative_gap(fit_k.params, table.params_):.2e} "
                  f"(same table), to rapport's unweighted fit {max_relative_gap(fit_k.params, fit_n.params):.2e}",
                  flush=True)
            if m == n:
                print(f"  bgbb: one row per customer, largest relative parameter gap rapport to lifetimes "
                      f"{max_relative_gap(fit_n.params, fitter.params_):.2e}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
