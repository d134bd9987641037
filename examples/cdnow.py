#!/usr/bin/env python3
"""Score the CDNOW sample (Fader, Hardie & Lee's BG/NBD data set) with rapport.

Usage: python3 examples/cdnow.py [CDNOW_sample.txt]

The file (default: tests/data/cdnow/CDNOW_sample.txt in this repository) is
whitespace separated without a header: master_id, sample_id, date (YYYYMMDD), cds, dollars.
Each customer's first purchase date becomes acquired_on; every row becomes a purchase. Scored as
of 1997-09-30 (the end of the classic 39-week calibration period), the fitted BG/NBD parameters
reproduce the published r=0.243, alpha=4.414 weeks, a=0.793, b=2.426.

CDNOW has no contacts, so every customer's loyalty given comes from continuity alone (0): the
up-serve value is the whole expected value, and the ranking is by value at stake.
"""

import pathlib
import sys

import pandas as pd

import rapport


def load_cdnow(path: pathlib.Path):
    raw = pd.read_csv(path, sep=r"\s+", header=None, names=["master_id", "sample_id", "date", "cds", "dollars"],
                      dtype={"master_id": str, "sample_id": str, "date": str})
    raw["at"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    customers = (raw.groupby("master_id", as_index=False, sort=False)["at"].min()
                 .rename(columns={"master_id": "customer_id", "at": "acquired_on"}))
    purchases = raw.rename(columns={"master_id": "customer_id", "dollars": "amount"})[["customer_id", "at", "amount"]]
    return customers, purchases


def main(argv):
    repo = pathlib.Path(__file__).resolve().parents[1]
    path = pathlib.Path(argv[1]) if len(argv) > 1 else repo / "tests" / "data" / "cdnow" / "CDNOW_sample.txt"
    customers, purchases = load_cdnow(path)
    print(f"{path}: {len(customers)} customers, {len(purchases)} purchases")

    base = rapport.load(customers, purchases=purchases, strict=True)  # validate once, score twice
    scores = rapport.score(base, as_of="1997-09-30")
    summary = rapport.summary(base, as_of="1997-09-30")

    bg, gg = summary["bgnbd"], summary["gamma_gamma"]
    print(f"\nas of {summary['as_of']}: {summary['customers_scored']} customers scored")
    print(f"BG/NBD       r={bg['r']:.4f}  alpha={bg['alpha']:.3f} days ({bg['alpha'] / 7:.4f} weeks)  "
          f"a={bg['a']:.4f}  b={bg['b']:.4f}")
    print("             published (weeks): r=0.243  alpha=4.414  a=0.793  b=2.426")
    print(f"Gamma-Gamma  p={gg['p']:.4f}  q={gg['q']:.4f}  gamma={gg['gamma']:.4f}")
    alive = (scores["p_alive"] > 0.5).mean()
    print(f"customers with p_alive > 0.5: {alive:.1%}; mean loyalty given {scores['loyalty_given'].mean():.1f}/100")

    top = scores.nlargest(10, "upserve_value")
    columns = ["customer_id", "loyalty_given", "p_alive", "expected_purchases", "expected_value", "upserve_value",
               "upserve_score", "next_action"]
    print("\nTop 10 up-serve opportunities (value at stake x service gap, next 365 days)")
    print(top[columns].to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
