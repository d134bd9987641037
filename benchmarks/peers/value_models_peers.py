#!/usr/bin/env python3
"""Value-model fits: rapport.fit_value_model against lifetimes, side by side (see README.md).

For each model (bgnbd, pareto_nbd, mbgnbd) fits N real-valued synthetic customers with
``rapport.fit_value_model`` and lifetimes' BetaGeoFitter / ParetoNBDFitter /
ModifiedBetaGeoFitter, in one process, and prints seconds, the ratio and the parameters. When
lifetimes is too slow for N, ``--lifetimes-customers M`` fits it on the first M customers and
states its time scaled linearly to N (a likelihood pass is linear in the customers; the
iteration count of its optimiser does not grow with them), next to rapport's own time on M.

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


def timed(fn):
    """(wall seconds, CPU seconds of the whole process: every thread), fn()."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--lifetimes-customers", type=int, default=0, help="fit lifetimes on the first M (0: all)")
    ap.add_argument("--models", default="bgnbd,pareto_nbd,mbgnbd")
    ap.add_argument("--seed", type=int, default=20241206)
    args = ap.parse_args()

    import rapport
    from lifetimes import BetaGeoFitter, ModifiedBetaGeoFitter, ParetoNBDFitter

    fitters = {"bgnbd": BetaGeoFitter, "pareto_nbd": ParetoNBDFitter, "mbgnbd": ModifiedBetaGeoFitter}
    n = args.customers
    m = args.lifetimes_customers or n
    print("seconds as wall / CPU (time.process_time: all threads); lifetimes->N scales its M time by N/M")
    print(f"{'model':11s} {'rapport N':>13s} {'rapport M':>13s} {'lifetimes M':>15s} "
          f"{'lifetimes->N':>15s} {'ratio wall':>10s} {'ratio CPU':>9s}  parameters (rapport N | lifetimes M)")
    for name in args.models.split(","):
        x, t_x, T = generate_pareto(n, args.seed) if name == "pareto_nbd" else generate_bgnbd(n, args.seed)
        w_n, c_n, fit_n = timed(lambda: rapport.fit_value_model(name, x=x, t_x=t_x, T=T))
        xs, txs, Ts = x[:m], t_x[:m], T[:m]
        w_m, c_m = (w_n, c_n) if m == n else timed(lambda: rapport.fit_value_model(name, x=xs, t_x=txs, T=Ts))[:2]
        fitter = fitters[name]()
        w_l, c_l, _ = timed(lambda: fitter.fit(xs, txs, Ts))
        w_ln, c_ln = w_l * n / m, c_l * n / m
        ours = " ".join(f"{k}={v:.4g}" for k, v in fit_n.params.items())
        theirs = " ".join(f"{k}={fitter.params_[k]:.4g}" for k in fit_n.params)
        print(f"{name:11s} {w_n:6.2f}/{c_n:6.2f} {w_m:6.2f}/{c_m:6.2f} {w_l:7.2f}/{c_l:7.2f} {w_ln:7.1f}/{c_ln:7.1f} "
              f"{w_ln / w_n:9.1f}x {c_ln / c_n:8.1f}x  {ours} | {theirs}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
