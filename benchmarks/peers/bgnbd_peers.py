#!/usr/bin/env python3
"""BG/NBD fit: rapport against lifetimes on real-valued customers (see README.md).

Generates N synthetic customers whose (x, t_x, T) are real-valued, so that no two customers
share a history and rapport's merging of identical rows cannot help, then fits BG/NBD with
lifetimes' ``BetaGeoFitter.fit`` and with ``rapport.fit_bgnbd`` on the same arrays, in one
process, and prints the seconds, the ratio and the differences of the fitted parameters and
log-likelihoods.

    PYTHONPATH=build/bindings:/path/to/lifetimes:/path/to/autograd \\
        /usr/bin/python3 benchmarks/peers/bgnbd_peers.py --customers 1000000 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time

import numpy as np

# The parameters of bm_value's BM_FitBgNbdReal sample.
TRUE = {"r": 0.25, "alpha": 40.0, "a": 0.8, "b": 2.5}


def generate(n: int, seed: int) -> tuple:
    """lambda ~ Gamma(r, 1/alpha), p ~ Beta(a, b), T ~ U(30, 540) days (real); purchases form a
    Poisson process at rate lambda, with dropout probability p after each repeat purchase; t_x is
    the exact time of the last one. The same model as bm_value's BM_FitBgNbdReal (which draws
    with std::mt19937_64, so the customers differ but not their distribution)."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUE["r"], 1.0 / TRUE["alpha"], n)
    p = rng.beta(TRUE["a"], TRUE["b"], n)
    T = rng.uniform(30.0, 540.0, n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    t = np.zeros(n)
    active = np.flatnonzero(lam > 0)
    while active.size:
        t[active] += rng.exponential(1.0, active.size) / lam[active]
        active = active[t[active] <= T[active]]
        x[active] += 1.0
        t_x[active] = t[active]
        active = active[rng.uniform(0.0, 1.0, active.size) >= p[active]]
    return x, t_x, T


def log_likelihood(params: dict, x, t_x, T) -> float:
    """Total BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6), as rapport maximises it."""
    from scipy.special import gammaln
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    head = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + gammaln(b + x) - gammaln(b)
            - gammaln(a + b + x) + gammaln(a + b))
    u1 = -(r + x) * np.log(alpha + T)
    u2 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1.0, 1e-300)) - (r + x) * np.log(alpha + t_x),
                  -np.inf)
    return float(np.sum(head + np.logaddexp(u1, u2)))


def time_best(fn, repeats: int) -> tuple:
    best, result = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def bench_seconds(bench: str, customers: int, repeats: int) -> float:
    """Best real time of bm_value's BM_FitBgNbdReal/<customers> (its own sample, same model)."""
    out = subprocess.run([bench, f"--benchmark_filter=^BM_FitBgNbdReal/{customers}/", "--benchmark_format=json",
                          f"--benchmark_repetitions={repeats}"], check=True, capture_output=True, text=True).stdout
    runs = [b for b in json.loads(out)["benchmarks"] if b.get("run_type") == "iteration"]
    if not runs:
        raise SystemExit(f"{bench} has no BM_FitBgNbdReal/{customers} (try --customers 100000 or 1000000)")
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    return min(b["real_time"] * scale[b["time_unit"]] for b in runs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=20240531)
    ap.add_argument("--repeats", type=int, default=3, help="best of this many fits per tool")
    ap.add_argument("--lifetimes-repeats", type=int, default=1, help="best of this many lifetimes fits")
    ap.add_argument("--csv", help="also write the customers to this CSV (x,t_x,T)")
    ap.add_argument("--bench", help="time rapport by this bm_value binary's BM_FitBgNbdReal (its own "
                    "sample of the same model; e.g. an older build) instead of the Python bindings")
    args = ap.parse_args()

    from lifetimes import BetaGeoFitter

    x, t_x, T = generate(args.customers, args.seed)
    if args.csv:
        np.savetxt(args.csv, np.column_stack([x, t_x, T]), delimiter=",", header="x,t_x,T",
                   comments="", fmt="%.17g")
    distinct = len(np.unique(np.column_stack([x, t_x, T]), axis=0))
    print(f"customers {args.customers}, distinct (x, t_x, T) {distinct}, repeat buyers "
          f"{int((x > 0).sum())}, max x {int(x.max())}")

    if args.bench:
        t_rapport = bench_seconds(args.bench, args.customers, args.repeats)
        fit_r = None
    else:
        import rapport  # the Python bindings (build/bindings on PYTHONPATH)
        t_rapport, fit_r = time_best(lambda: rapport.fit_bgnbd(x, t_x, T), args.repeats)

    def fit_lifetimes():
        bgf = BetaGeoFitter(penalizer_coef=0.0)
        bgf.fit(x, t_x, T)
        return bgf

    t_lifetimes, bgf = time_best(fit_lifetimes, args.lifetimes_repeats)
    fit_l = {k: float(bgf.params_[k]) for k in ("r", "alpha", "a", "b")}
    ll_l = log_likelihood(fit_l, x, t_x, T)
    print(f"{'tool':10s} {'seconds':>9s} {'ratio':>7s} {'r':>12s} {'alpha':>12s} {'a':>12s} {'b':>12s} "
          f"{'log-lik':>16s}")
    if fit_r is None:
        print(f"{'rapport':10s} {t_rapport:9.3f} {1.0:7.1f}   (bm_value {args.bench}: its own sample)")
    else:
        print(f"{'rapport':10s} {t_rapport:9.3f} {1.0:7.1f} {fit_r['r']:12.6g} {fit_r['alpha']:12.6g} "
              f"{fit_r['a']:12.6g} {fit_r['b']:12.6g} {fit_r['log_likelihood']:16.6f}")
    print(f"{'lifetimes':10s} {t_lifetimes:9.3f} {t_lifetimes / t_rapport:7.1f} {fit_l['r']:12.6g} "
          f"{fit_l['alpha']:12.6g} {fit_l['a']:12.6g} {fit_l['b']:12.6g} {ll_l:16.6f}")
    if fit_r is not None:
        rel = {k: abs(fit_l[k] - fit_r[k]) / abs(fit_r[k]) for k in fit_l}
        print("relative parameter differences (lifetimes vs rapport): "
              + ", ".join(f"{k} {v:.2e}" for k, v in rel.items()))
    print(f"lifetimes / rapport: {t_lifetimes / t_rapport:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
