"""BG/BB and sBG through Python's rapport.fit_value_model, from the published tables
(tests/data/value-models/, sources in tests/data/README.md)."""

import math

import numpy as np
import pandas as pd
import pytest

import rapport
from conftest import data_dir


def expect_digits(fitted, published, half_unit, what):
    """`fitted` rounds to `published` at the published digits."""
    assert abs(fitted - published) <= half_unit * (1 + 1e-9), f"{what}: fitted {fitted}, published {published}"


@pytest.fixture(scope="module")
def donations():
    return pd.read_csv(data_dir() / "value-models" / "donations.csv")


@pytest.fixture(scope="module")
def curves():
    return pd.read_csv(data_dir() / "value-models" / "retention-curves.csv")


def calibration(pct):
    """Years 0-7 of a curve as the 1,000-customer cohort's weighted rows: the contracts that ended
    in year t after t - 1 whole years, and those still active after year 7."""
    alive = np.round(np.asarray(pct[:8], dtype=float) * 10)
    periods = np.arange(8, dtype=float)  # 0..6 ended, 7 still active
    ended = np.array([1] * 7 + [0], dtype=np.uint8)
    weights = np.append(alive[:-1] - alive[1:], alive[-1])
    return periods, ended, weights


@pytest.fixture(scope="module")
def bgbb(donations):
    return rapport.fit_value_model(
        "bgbb",
        x=donations["frequency"].to_numpy(float),
        t_x=donations["recency"].to_numpy(float),
        n=donations["periods"].to_numpy(float),
        weights=donations["weights"].to_numpy(float),
    )


def test_bgbb_donations_published_fit(bgbb):
    # Fader, Hardie & Shang (2010): α = 1.204, β = 0.750, γ = 0.657, δ = 2.783, LL = -33,225.6.
    assert bgbb.name == "bgbb"
    assert list(bgbb.params) == ["alpha", "beta", "gamma", "delta"]
    expect_digits(bgbb.params["alpha"], 1.204, 5e-4, "alpha")
    expect_digits(bgbb.params["beta"], 0.750, 5e-4, "beta")
    expect_digits(bgbb.params["gamma"], 0.657, 5e-4, "gamma")
    expect_digits(bgbb.params["delta"], 2.783, 5e-4, "delta")
    expect_digits(bgbb.log_likelihood, -33225.6, 0.05, "log-likelihood")
    assert bgbb.n == 11104
    assert bgbb.aic == pytest.approx(8 - 2 * bgbb.log_likelihood, rel=1e-15)
    assert bgbb.bic == pytest.approx(4 * math.log(11104) - 2 * bgbb.log_likelihood, rel=1e-15)
    assert set(bgbb.std_errors) == {"alpha", "beta", "gamma", "delta"}
    assert all(se > 0 and math.isfinite(se) for se in bgbb.std_errors.values())


def test_bgbb_expected_new_customer_published(bgbb):
    # Hardie's BG/BB spreadsheet (brucehardie.com/notes/010, "Tracking Plot" B7:B17, as quoted by
    # pymc-marketing's tests/clv/models/test_beta_geo_beta_binom.py): E[X(n)], n = 1..11.
    published = [0.4985, 0.9233, 1.2969, 1.6323, 1.9381, 2.2202, 2.4826, 2.7285, 2.9603, 3.1798, 3.3887]
    for n, want in enumerate(published, start=1):
        expect_digits(float(bgbb.expected_purchases_new(n)), want, 5e-5, f"E[X({n})]")


def test_bgbb_predictions(bgbb, donations):
    x = donations["frequency"].to_numpy(float)
    t_x = donations["recency"].to_numpy(float)
    n = donations["periods"].to_numpy(float)
    alive = bgbb.p_alive(x=x, t_x=t_x, n=n)
    nxt = bgbb.expected_purchases(5, x=x, t_x=t_x, n=n)
    assert isinstance(alive, np.ndarray) and alive.shape == (22,)
    assert np.all((alive >= 0) & (alive <= 1))
    # Donors who gave every year (last row) are the likeliest to be alive and to give again.
    assert alive[-1] == alive.max() and nxt[-1] == nxt.max()
    assert np.all(nxt <= 5 * alive + 1e-12)
    # Hand case, all parameters 1, (x=0, t_x=0, n=1): P(alive at 2) = 2/9, E[next 2] = 7/54
    # (tests/value/bgbb_test.cpp draws it).
    one = rapport.ValueModel.from_params("bgbb", {"alpha": 1, "beta": 1, "gamma": 1, "delta": 1})
    assert one.p_alive(x=[0.0], t_x=[0.0], n=[1.0])[0] == pytest.approx(2 / 9, rel=1e-14)
    assert one.expected_purchases(2, x=[0.0], t_x=[0.0], n=[1.0])[0] == pytest.approx(7 / 54, rel=1e-14)


def test_bgbb_pmf_sums_to_one(bgbb):
    for n in (1, 6, 20):
        pmf = [bgbb.probability_of_purchases_new(n, k) for k in range(n + 1)]
        assert sum(pmf) == pytest.approx(1, abs=1e-12)
        assert sum(k * p for k, p in enumerate(pmf)) == pytest.approx(bgbb.expected_purchases_new(n), rel=1e-11)


def test_bgbb_bad_row_named():
    with pytest.raises(rapport.InputError, match=r"bgbb: row 1: column x: 7 exceeds n = 6"):
        rapport.fit_value_model("bgbb", x=[0.0, 7.0], t_x=[0.0, 6.0], n=[6.0, 6.0])


@pytest.mark.parametrize(
    "column, alpha, beta, ll",
    [
        # Fader & Hardie (2007), calibrated on years 0-7.
        ("regular_pct_surviving", 0.704, 1.182, -1680.3),
        ("high_end_pct_surviving", 0.668, 3.806, -1611.2),
    ],
)
def test_sbg_retention_published_fits(curves, column, alpha, beta, ll):
    periods, ended, weights = calibration(curves[column].to_numpy(float))
    model = rapport.fit_value_model("sbg", periods=periods, ended=ended, weights=weights)
    assert list(model.params) == ["alpha", "beta"]
    expect_digits(model.params["alpha"], alpha, 5e-4, "alpha")
    expect_digits(model.params["beta"], beta, 5e-4, "beta")
    expect_digits(model.log_likelihood, ll, 0.05, "log-likelihood")
    assert model.n == 1000
    # survival(t) = B(α, β+t)/B(α, β) = Π_{k=1..t} (β+k-1)/(α+β+k-1); projected years 8-12 lie
    # below the published curve and within 1.7 points of it (the paper's projections).
    a, b = model.params["alpha"], model.params["beta"]
    s = 1.0
    for t in range(1, 13):
        s *= (b + t - 1) / (a + b + t - 1)
        assert model.survival(t) == pytest.approx(s, rel=1e-13)
        if t >= 8:
            actual = curves[column][t] / 100
            assert actual - 0.017 < model.survival(t) < actual
    # Renewals over the next 5 years of the still-active customers (row 7); none for those who left.
    renewals = model.expected_renewals(5, periods, ended)
    assert np.all(renewals[:7] == 0)
    want = sum(model.survival(7 + k) / model.survival(7) for k in range(1, 6))
    assert renewals[7] == pytest.approx(want, rel=1e-13)
    assert np.array_equal(model.p_alive(periods=periods, ended=ended), [0, 0, 0, 0, 0, 0, 0, 1])


def test_sbg_hand_case():
    # α = β = 1 (θ uniform): S(t) = 1/(t+1); a new customer renews 1/2 + 1/3 + 1/4 = 13/12 times in
    # 3 periods; one active after 1 period 2/3 + 1/2 = 7/6 times in the next 2.
    model = rapport.ValueModel.from_params("sbg", {"alpha": 1, "beta": 1})
    assert model.survival(3) == pytest.approx(0.25, rel=1e-15)
    assert model.expected_purchases_new(3) == pytest.approx(13 / 12, rel=1e-15)
    assert model.expected_renewals(2, [1.0, 1.0], [0, 1])[0] == pytest.approx(7 / 6, rel=1e-15)
    assert model.expected_renewals(2, [1.0, 1.0], [0, 1])[1] == 0
    # Discounted by 1/2 a period: 1/2 · 2/3 + 1/4 · 1/2 = 11/24 (the renewal at the end of the k-th
    # future period weighs e^(-rate k)).
    derl = model.expected_purchases(2, periods=[1.0], ended=[0], discount_rate=math.log(2))
    assert derl[0] == pytest.approx(11 / 24, rel=1e-14)
    with pytest.raises(rapport.InputError, match=r"sbg: row 0: column periods: 1.5 is not a whole number >= 0"):
        rapport.fit_value_model("sbg", periods=[1.5], ended=[0])
