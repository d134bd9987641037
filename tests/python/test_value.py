"""Value models (BG/NBD, Gamma-Gamma) on CDNOW, and ScoringConfig."""

import copy
import json
import os
import pathlib
import pickle

import numpy as np
import pandas as pd
import pytest

import rapport
from conftest import data_dir


def cdnow_path() -> pathlib.Path:
    return data_dir() / "cdnow" / "CDNOW_sample.txt"


@pytest.fixture(scope="module")
def cdnow():
    raw = pd.read_csv(cdnow_path(), sep=r"\s+", header=None,
                      names=["master_id", "sample_id", "date", "cds", "dollars"])
    raw["day"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    return raw


def rfm(raw, end="1997-09-30"):
    cal = raw[raw["day"] <= end]
    daily = cal.groupby(["master_id", "day"], as_index=False)["dollars"].sum()
    g = daily.groupby("master_id")
    first, last, n = g["day"].min(), g["day"].max(), g["day"].count()
    x = (n - 1).to_numpy(float)
    t_x = (last - first).dt.days.to_numpy(float)
    T = (pd.Timestamp(end) - first).dt.days.to_numpy(float)
    spend = g["dollars"].sum() - daily.sort_values("day").groupby("master_id")["dollars"].first()
    m = np.where(x > 0, spend.to_numpy() / np.maximum(x, 1), 0.0)
    return x, t_x, T, m


def close(value, published, rel=0.01):
    return abs(value - published) <= rel * abs(published)


def test_fit_bgnbd_cdnow(cdnow):
    x, t_x, T, _ = rfm(cdnow)
    assert len(x) == 2357 and int((x > 0).sum()) == 946
    p = rapport.fit_bgnbd(x, t_x, T)
    assert set(p) == {"r", "alpha", "a", "b", "log_likelihood"}
    assert close(p["r"], 0.243), p
    assert close(p["alpha"], 4.414 * 7), p  # alpha in days
    assert close(p["a"], 0.793), p
    assert close(p["b"], 2.426), p
    weeks = rapport.fit_bgnbd(x, t_x / 7, T / 7)
    assert close(weeks["alpha"], 4.414) and close(weeks["r"], 0.243)
    # lists and Series work as well as arrays
    again = rapport.fit_bgnbd(list(x), pd.Series(t_x), T.astype(np.float32).astype(np.float64))
    assert again["r"] == pytest.approx(p["r"], rel=1e-9)


def test_fit_gamma_gamma_cdnow(cdnow):
    x, _, _, m = rfm(cdnow)
    g = rapport.fit_gamma_gamma(x, m)
    assert set(g) == {"p", "q", "gamma", "log_likelihood"}
    assert g["q"] > 1 and g["p"] > 0 and g["gamma"] > 0
    spend = rapport.gamma_gamma_expected_spend(g, x, m)
    assert spend.shape == x.shape and np.all(spend > 0)
    assert rapport.gamma_gamma_expected_spend(g, 0, 0) == pytest.approx(g["p"] * g["gamma"] / (g["q"] - 1))


def test_predictions(cdnow):
    x, t_x, T, _ = rfm(cdnow)
    p = rapport.fit_bgnbd(x, t_x, T)
    alive = rapport.bgnbd_p_alive(p, x, t_x, T)
    assert alive.shape == x.shape and np.all((alive > 0) & (alive <= 1))
    assert np.all(alive[x == 0] == 1.0)
    ep = rapport.bgnbd_expected_purchases(p, 365, x, t_x, T)
    assert np.all(ep > 0)
    single = rapport.bgnbd_expected_purchases(p, 365, 2, 30, 200)
    assert isinstance(single, float)
    grid = rapport.bgnbd_p_alive(p, np.arange(3)[:, None], 30, np.array([100.0, 200.0]))
    assert grid.shape == (3, 2)
    with pytest.raises(ValueError, match="missing parameter"):
        rapport.bgnbd_p_alive({"r": 1}, 1, 1, 1)


def test_score_cdnow_uses_same_fit(cdnow):
    customers = cdnow.groupby("master_id", as_index=False)["day"].min().rename(
        columns={"master_id": "customer_id", "day": "acquired_on"})
    purchases = cdnow.rename(columns={"master_id": "customer_id", "day": "at", "dollars": "amount"})
    s = rapport.summary(customers, purchases=purchases[["customer_id", "at", "amount"]], as_of="1997-09-30")
    x, t_x, T, m = rfm(cdnow)
    direct = rapport.fit_bgnbd(x, t_x, T)
    for k in ("r", "alpha", "a", "b"):
        assert s["bgnbd"][k] == pytest.approx(direct[k], rel=1e-6)
    gg = rapport.fit_gamma_gamma(x, m)
    for k in ("p", "q", "gamma"):
        assert s["gamma_gamma"][k] == pytest.approx(gg[k], rel=1e-6)


def test_array_length_mismatch():
    with pytest.raises(ValueError, match="length"):
        rapport.fit_bgnbd([1, 2], [1], [1, 2])


def test_weighted_fit_entry_points(cdnow):
    # the private weighted fits (rapport.dask's): rows repeated by their weights give the same
    # parameters to the last bit; an empty weight array is refused, not read as "one each"
    x, t_x, T, m = rfm(cdnow)
    w = np.where(np.arange(len(x)) % 3 == 0, 2.0, 1.0)
    args = (1000, 1e-10, 1)
    weighted = rapport._rapport._fit_bgnbd(x, t_x, T, *args, weight=w)
    rep = np.repeat(np.arange(len(x)), w.astype(int))
    expanded = rapport._rapport._fit_bgnbd(x[rep], t_x[rep], T[rep], *args)
    assert weighted == expanded
    for fit, cols in ((rapport._rapport._fit_bgnbd, (x, t_x, T)), (rapport._rapport._fit_gamma_gamma, (x, m))):
        with pytest.raises(ValueError, match="length"):
            fit(*cols, *args, weight=np.array([]))


# ---------------------------------------------------------------- ScoringConfig


def test_config_defaults_and_fields():
    c = rapport.ScoringConfig()
    assert c.half_life_days == 180 and c.period_days == 30 and c.impression_lambda == 2
    assert c.loyalty_weights == (0.30, 0.25, 0.20, 0.15, 0.10)
    assert c.referral_weights == (0.30, 0.20, 0.15, 0.20, 0.15)
    assert c.bgnbd is None and c.gamma_gamma is None and c.threads == 0
    assert c.fit == {"max_iterations": 200, "gradient_tolerance": 1e-9, "min_customers": 10}
    fields = json.loads(c.to_json())
    for key, value in fields.items():
        got = getattr(c, key)
        if key.endswith("_weights"):
            names = rapport.LOYALTY_COMPONENTS if key.startswith("loyalty") else rapport.REFERRAL_COMPONENTS
            assert tuple(value[n] for n in names) == got
        else:
            assert got == value, key


def test_config_round_trip():
    c = rapport.ScoringConfig(half_life_days=90.5, katz_beta=0.25, threads=3,
                              loyalty_weights=[0.4, 0.2, 0.2, 0.1, 0.1])
    c.referral_weights = {"timing": 0.5}
    c.bgnbd = {"r": 0.25, "alpha": 30.0, "a": 0.8, "b": 2.4}
    c.gamma_gamma = {"p": 6.0, "q": 4.0, "gamma": 16.0}
    c.fit = {"max_iterations": 50}
    c.ask_advocacy = 0.8
    assert c.referral_weights == (0.30, 0.20, 0.15, 0.5, 0.15)
    back = rapport.ScoringConfig.from_json(c.to_json())
    assert back == c
    assert back.to_json() == c.to_json()
    assert back.bgnbd == {"r": 0.25, "alpha": 30.0, "a": 0.8, "b": 2.4}
    assert back.fit["max_iterations"] == 50
    assert pickle.loads(pickle.dumps(c)) == c
    d = copy.deepcopy(c)
    d.half_life_days = 1
    assert d != c and c.half_life_days == 90.5
    assert rapport.ScoringConfig(**{"bgnbd": None}).bgnbd is None
    assert eval(repr(c), {"rapport": rapport}) == c
    c.bgnbd = None
    assert rapport.ScoringConfig.from_json(c.to_json()).bgnbd is None


def test_config_from_partial_json():
    c = rapport.ScoringConfig.from_json('{"loyalty_weights": {"continuity": 1}, "horizon_days": 180}')
    assert c.loyalty_weights[0] == 1 and c.horizon_days == 180 and c.half_life_days == 180


def test_environment_var_names():
    # documented in conftest: the ctest registration passes these
    assert "RAPPORT_TEST_DATA" in os.environ or data_dir().exists()
