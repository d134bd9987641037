"""ScoringConfig domains from Python (constructor, setters, JSON, scoring functions) and value
models that cannot be fitted (small bases get scores; strict=True keeps the FitError)."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import rapport

# (keyword arguments, field named in the message): each was accepted before, and crashed the
# interpreter (period_days), aborted (threads), ran for minutes (horizon, BG/NBD) or gave numbers
# outside every documented range.
BAD = [
    ({"period_days": 1e-6}, "period_days"),
    ({"period_days": 0}, "period_days"),
    ({"half_life_days": 0.001}, "half_life_days"),
    ({"threads": 2000000}, "threads"),
    ({"threads": 1.5}, "threads"),
    ({"threads": -1}, "threads"),
    ({"horizon_days": 1e308}, "horizon_days"),
    ({"horizon_days": math.inf}, "horizon_days"),
    ({"complaint_days": math.nan}, "complaint_days"),
    ({"bgnbd": {"r": 0, "alpha": 1, "a": 1, "b": 1}}, "bgnbd.r"),
    ({"bgnbd": {"r": 1, "alpha": -5, "a": 1, "b": 1}}, "bgnbd.alpha"),
    ({"gamma_gamma": {"p": 1, "q": 1, "gamma": 1}}, "gamma_gamma.q"),
    ({"gamma_gamma": {"p": 1, "q": 0.5, "gamma": 1}}, "gamma_gamma.q"),
    ({"impression_lambda": -1}, "impression_lambda"),
    ({"katz_beta": -0.5}, "katz_beta"),
    ({"katz_beta": 1.0}, "katz_beta"),
    ({"loyalty_weights": (0, 0, 0, 0, 0)}, "loyalty_weights"),
    ({"referral_weights": {"advocacy": 0, "track_record": 0, "chain_reach": 0, "timing": 0, "tenure": 0}},
     "referral_weights"),
    ({"technical_threshold": 1.5}, "technical_threshold"),
    ({"fit": {"tolerance": 1e-6}}, "fit.tolerance"),
    ({"fit": {"max_iterations": 0}}, "fit.max_iterations"),
    ({"bgnbd": {"r": 1, "alpha": 1, "a": 1, "b": 1, "extra": 2}}, "bgnbd.extra"),
]


@pytest.mark.parametrize("kwargs,field", BAD)
def test_constructor_rejects_naming_the_field(kwargs, field):
    with pytest.raises(rapport.ConfigError, match=field.replace(".", r"\.")) as e:
        rapport.ScoringConfig(**kwargs)
    assert isinstance(e.value, ValueError)
    assert str(e.value).startswith("config: ")


@pytest.mark.parametrize("kwargs,field", BAD)
def test_setter_rejects_and_keeps_the_old_value(kwargs, field):
    c = rapport.ScoringConfig(half_life_days=90)
    before = c.to_json()
    (name, value), = kwargs.items()
    with pytest.raises(rapport.ConfigError, match=field.replace(".", r"\.")):
        setattr(c, name, value)
    assert c.to_json() == before


@pytest.mark.parametrize("kwargs,field", [b for b in BAD if not any(
    isinstance(v, float) and not math.isfinite(v) for v in b[0].values())])
def test_json_rejects_naming_the_field(kwargs, field):
    import json
    with pytest.raises(rapport.ConfigError, match=field.replace(".", r"\.")):
        rapport.ScoringConfig.from_json(json.dumps(kwargs))


def test_message_names_domain_and_value():
    with pytest.raises(rapport.ConfigError) as e:
        rapport.ScoringConfig(period_days=1e-6)
    assert str(e.value) == "config: period_days must be >= 1 and <= 36500 (got 1e-06)"


def tiny_tables():
    """Three customers, two of them buyers (one repeat buyer): far below the 10 a fit needs."""
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "acquired_on": ["2024-01-01"] * 3})
    contacts = pd.DataFrame({
        "customer_id": ["a", "b"], "at": ["2024-02-11", "2024-03-02"], "channel": ["phone", "visit"],
        "stage": ["service", "service"], "initiator": ["business", "business"],
        "aspect": ["technical", "hospitality"], "impression": [2, 1], "complaint": ["false", "false"],
        "resolved_at": ["", ""]})
    purchases = pd.DataFrame({"customer_id": ["a", "a", "b"], "at": ["2024-01-10", "2024-02-10", "2024-03-01"],
                              "amount": [20.0, 30.0, 15.0]})
    return dict(customers=customers, contacts=contacts, purchases=purchases)


def test_scoring_functions_reject_bad_settings():
    for config in ({"period_days": 0}, '{"period_days": 1e-6}'):
        with pytest.raises(rapport.ConfigError, match="period_days"):
            rapport.score(**tiny_tables(), config=config)
    with pytest.raises(rapport.ConfigError, match="threads"):
        rapport.score(**tiny_tables(), threads=1.5)
    with pytest.raises(rapport.ConfigError, match="threads"):
        rapport.score(**tiny_tables(), threads=2000000)


def test_numpy_scalars_and_large_thread_counts_are_fine():
    c = rapport.ScoringConfig(threads=np.int64(2), half_life_days=np.float32(90.0))
    assert c.threads == 2 and c.half_life_days == 90.0
    fixed = {"bgnbd": {"r": 0.5, "alpha": 30, "a": 0.8, "b": 2.5}, "gamma_gamma": {"p": 6, "q": 4, "gamma": 15}}
    one = rapport.score(**tiny_tables(), config=fixed, threads=1)
    many = rapport.score(**tiny_tables(), config=fixed, threads=100000)  # capped to the machine
    pd.testing.assert_frame_equal(one, many, check_exact=True)


VALUE_COLUMNS = ["p_alive", "expected_purchases", "expected_value", "upserve_value", "upserve_score"]


def test_small_base_gets_every_non_value_column():
    with pytest.warns(rapport.ValueModelWarning, match="BG/NBD"):
        df = rapport.score(**tiny_tables(), as_of="2024-03-31")
    assert list(df["customer_id"]) == ["a", "b", "c"]
    for col in VALUE_COLUMNS:
        assert df[col].isna().all(), col
    fixed = {"bgnbd": {"r": 0.5, "alpha": 30, "a": 0.8, "b": 2.5}, "gamma_gamma": {"p": 6, "q": 4, "gamma": 15}}
    ref = rapport.score(**tiny_tables(), as_of="2024-03-31", config=fixed)
    others = [c for c in rapport.SCORE_COLUMNS if c not in VALUE_COLUMNS]
    pd.testing.assert_frame_equal(df[others], ref[others], check_exact=True)
    assert not df["loyalty_given"].isna().any()
    assert df.attrs["bgnbd"]["fitted"] is False and "at least 10" in df.attrs["bgnbd"]["error"]


def test_strict_keeps_the_fit_error():
    for fn in (rapport.score, rapport.summary, rapport.run, rapport.explain):
        with pytest.raises(rapport.FitError, match="BG/NBD"):
            fn(**tiny_tables(), strict=True)


def test_summary_marks_models_not_fitted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rapport.ValueModelWarning)
        s = rapport.summary(**tiny_tables(), as_of="2024-03-31")
    assert s["bgnbd"]["fitted"] is False and "at least 10" in s["bgnbd"]["reason"]
    assert s["bgnbd"]["r"] is None
    assert s["gamma_gamma"]["fitted"] is False and s["gamma_gamma"]["reason"]
    assert "per_value_decile" not in s["loyalty_given"] and "top_decile_gap" not in s["loyalty_given"]
    assert s["customers_scored"] == 3 and s["value"]["customers_with_purchases"] == 2
    assert s["value"]["expected_value_total"] is None
    assert s["loyalty_given"]["overall"]["customers"] == 3


def test_model_functions_validate_their_parameters():
    with pytest.raises(rapport.ConfigError, match=r"bgnbd\.r"):
        rapport.bgnbd_p_alive({"r": -1, "alpha": 1, "a": 1, "b": 1}, 3, 100, 200)
    with pytest.raises(rapport.ConfigError, match=r"gamma_gamma\.q"):
        rapport.gamma_gamma_expected_spend({"p": 1, "q": 0.5, "gamma": 1}, 2, 10)
    with pytest.raises(rapport.ConfigError, match=r"fit\.max_iterations"):
        rapport.fit_bgnbd([1, 2], [5, 6], [10, 10], max_iterations=0)
    # a fit result (with its log_likelihood) is accepted as parameters
    fitted = {"r": 0.5, "alpha": 30.0, "a": 0.8, "b": 2.5, "log_likelihood": -10.0}
    assert 0 < rapport.bgnbd_p_alive(fitted, 3, 100, 200) <= 1
