"""rapport.fit_value_model / rapport.ValueModel (rapport/value.py over rapport/value/models.hpp)."""

import numpy as np
import pytest

import rapport
from test_value import cdnow, rfm  # noqa: F401  (the CDNOW fixture and its (x, t_x, T, m) summary)


@pytest.fixture(scope="module")
def weeks(cdnow):  # noqa: F811
    x, t_x, T, m = rfm(cdnow)
    return x, t_x / 7.0, T / 7.0, m


def test_bgnbd_equals_fit_bgnbd_bit_for_bit(weeks):
    x, t_x, T, _ = weeks
    model = rapport.fit_value_model("bgnbd", x=x, t_x=t_x, T=T)
    old = rapport.fit_bgnbd(x, t_x, T)
    assert model.name == "bgnbd"
    assert list(model.params) == ["r", "alpha", "a", "b"]
    for k in ("r", "alpha", "a", "b"):
        assert model.params[k] == old[k]
    assert model.log_likelihood == old["log_likelihood"]
    assert model.n == 2357
    assert model.aic == pytest.approx(8 - 2 * old["log_likelihood"], rel=1e-15)
    assert model.bic == pytest.approx(4 * np.log(2357) - 2 * old["log_likelihood"], rel=1e-15)
    assert model.log_covariance.shape == (4, 4)
    pa = model.p_alive(x=x, t_x=t_x, T=T)
    assert isinstance(pa, np.ndarray) and pa.shape == x.shape
    np.testing.assert_array_equal(pa, rapport.bgnbd_p_alive(old, x, t_x, T))
    np.testing.assert_array_equal(model.expected_purchases(39, x=x, t_x=t_x, T=T),
                                  rapport.bgnbd_expected_purchases(old, 39, x, t_x, T))


def test_pareto_nbd_cdnow_fit_and_standard_errors(weeks):
    x, t_x, T, _ = weeks
    model = rapport.fit_value_model("pareto_nbd", x=x, t_x=t_x, T=T)
    # Fader, Hardie & Lee (2005) to three decimals, as CLVTools and lifetimes quote it.
    for k, v in {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}.items():
        assert abs(model.params[k] - v) <= 0.0005, k
    assert abs(model.log_likelihood - (-9594.976)) <= 0.0005  # CLVTools' reference LL
    # CLVTools tests/testthat/test_correctness_pnbd_nocovstaticcov.R (tolerance 0.001).
    for k, v in {"r": 0.0476264, "alpha": 0.8427222, "s": 0.1872594, "beta": 6.2105448}.items():
        assert model.std_errors[k] == pytest.approx(v, rel=1e-3), k


def test_mbgnbd_cdnow_fit(weeks):
    x, t_x, T, _ = weeks
    model = rapport.fit_value_model("mbgnbd", x=x, t_x=t_x, T=T)
    # BTYDplus, as lifetimes quotes it (test_params_out_is_close_to_BTYDplus).
    for k, v in {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}.items():
        assert abs(model.params[k] - v) <= 0.0005, k


def test_gamma_gamma(weeks):
    x, _, _, m = weeks
    model = rapport.fit_value_model("gamma_gamma", x=x, m=m)
    old = rapport.fit_gamma_gamma(x, m)
    assert [model.params[k] for k in ("p", "q", "gamma")] == [old["p"], old["q"], old["gamma"]]
    np.testing.assert_array_equal(model.expected_spend(x, m), rapport.gamma_gamma_expected_spend(old, x, m))
    with pytest.raises(rapport.InputError):
        model.p_alive(x=x, t_x=x, T=x)


def test_published_customer_predictions():
    # BTYD walkthrough: x = 26, t_x = 30.86, T = 31 -> P(alive) 0.9979, E[Y(52)] 25.46.
    pnbd = rapport.ValueModel.from_params("pareto_nbd", {"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562})
    assert abs(pnbd.p_alive(x=[26], t_x=[30.86], T=[31])[0] - 0.9979) <= 0.00005
    assert abs(pnbd.expected_purchases(52, x=[26], t_x=[30.86], T=[31])[0] - 25.46) <= 0.01
    # FHL (2005): x = 2, t_x = 30.43, T = 38.86 -> 1.226 in 39 weeks.
    bg = rapport.ValueModel.from_params("bgnbd", {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    assert abs(bg.expected_purchases(39, x=[2], t_x=[30.43], T=[38.86])[0] - 1.226) <= 0.0005
    assert np.isnan(bg.log_likelihood)
    assert np.isnan(bg.std_errors["r"])


@pytest.mark.parametrize("name", ["bgnbd", "pareto_nbd", "mbgnbd"])
def test_pmf_sums_to_one_with_mean_expectation(name):
    params = {"bgnbd": [0.243, 4.414, 0.793, 2.426], "pareto_nbd": [0.5534, 10.5796, 0.6061, 11.6562],
              "mbgnbd": [0.525, 6.183, 0.891, 1.614]}[name]
    names = {"bgnbd": "r alpha a b", "pareto_nbd": "r alpha s beta", "mbgnbd": "r alpha a b"}[name].split()
    model = rapport.ValueModel.from_params(name, dict(zip(names, params)))
    p = np.array([model.probability_of_purchases_new(39, k) for k in range(400)])
    assert p.sum() == pytest.approx(1.0, abs=1e-9)
    assert (p * np.arange(400)).sum() == pytest.approx(model.expected_purchases_new(39), rel=1e-7)


def test_weights_and_penalizer(weeks):
    x, t_x, T, _ = weeks
    doubled = rapport.fit_value_model("mbgnbd", x=np.tile(x, 2), t_x=np.tile(t_x, 2), T=np.tile(T, 2))
    weighted = rapport.fit_value_model("mbgnbd", x=x, t_x=t_x, T=T, weights=np.full(len(x), 2.0))
    assert weighted.n == doubled.n == 2 * len(x)
    for k in doubled.params:
        assert weighted.params[k] == pytest.approx(doubled.params[k], rel=1e-6)
    free = rapport.fit_value_model("mbgnbd", x=x, t_x=t_x, T=T)
    shrunk = rapport.fit_value_model("mbgnbd", x=x, t_x=t_x, T=T, penalizer=10)
    assert shrunk.penalizer == 10
    norm = lambda m: sum(np.log(v) ** 2 for v in m.params.values())  # noqa: E731
    assert norm(shrunk) < norm(free)
    assert shrunk.log_likelihood < free.log_likelihood


def test_discounting_lowers_expectation(weeks):
    x, t_x, T, _ = weeks
    model = rapport.ValueModel.from_params("pareto_nbd", {"r": 0.5534, "alpha": 10.5796, "s": 0.6061, "beta": 11.6562})
    plain = model.expected_purchases(52, x=x[:50], t_x=t_x[:50], T=T[:50])
    disc = model.expected_purchases(52, x=x[:50], t_x=t_x[:50], T=T[:50], discount_rate=0.1 / 52)
    assert np.all(disc < plain) and np.all(disc > 0.9 * plain)


def test_bad_input_is_rejected():
    with pytest.raises(rapport.InputError, match="row 1: column t_x"):
        rapport.fit_value_model("pareto_nbd", x=[1, 2, 0], t_x=[3, 5, 0], T=[4, 4, 7])
    with pytest.raises(ValueError, match="differ in length"):
        rapport.fit_value_model("pareto_nbd", x=[1, 2, 0], t_x=[3, 4], T=[4, 4, 7])
    with pytest.raises(rapport.ConfigError, match="unknown value model"):
        rapport.fit_value_model("pareto", x=[1], t_x=[1], T=[1])
    with pytest.raises(rapport.ConfigError):
        rapport.fit_value_model("mbgnbd", x=[1], t_x=[1], T=[1], options={"tolerance": 1})
    with pytest.raises(rapport.ConfigError):
        rapport.fit_value_model("mbgnbd", x=[1], t_x=[1], T=[1], penalizer=-1)
    with pytest.raises(rapport.FitError):
        rapport.fit_value_model("mbgnbd", x=[1, 0], t_x=[1, 0], T=[2, 3])
    with pytest.raises(rapport.ConfigError):
        rapport.ValueModel.from_params("bgnbd", {"r": 1, "alpha": 1, "a": 1, "b": -1})
    with pytest.raises(ValueError, match="missing"):
        rapport.ValueModel.from_params("bgnbd", {"r": 1})
