"""rapport.score & co. against the CLI and against each other."""

import datetime as dt
import json
import math
import subprocess

import numpy as np
import pandas as pd
import pytest

import rapport
from conftest import fresh, read_tables

FLOAT_COLUMNS = [
    "loyalty_given", "continuity", "follow_through", "impression", "recovery", "service_ladder", "p_alive",
    "expected_purchases", "expected_value", "upserve_value", "upserve_score", "referral_potential", "advocacy",
    "track_record", "chain_reach", "timing", "tenure", "katz",
]
INT_COLUMNS = ["direct_referrals", "converted_referrals", "generation", "tree_size"]
STR_COLUMNS = ["customer_id", "next_action", "root_id"]


def cli_scores(cli, d, out, *extra):
    subprocess.run([cli, "score", str(d), "--out", str(out), "--quiet", *extra], check=True, capture_output=True)
    return pd.read_csv(out, dtype=str, keep_default_na=False)


def assert_equals_cli(df: pd.DataFrame, text: pd.DataFrame) -> None:
    """Cell for cell: the CLI prints shortest round-trip floats, so float(text) must equal the
    Python value bit for bit; an empty cell is NaN."""
    assert list(df.columns) == list(text.columns)
    assert len(df) == len(text)
    for c in STR_COLUMNS:
        assert df[c].tolist() == text[c].tolist(), c
    for c in INT_COLUMNS:
        assert df[c].tolist() == [int(v) for v in text[c]], c
    assert df["ask_for_referral"].tolist() == [v == "true" for v in text["ask_for_referral"]]
    for c in FLOAT_COLUMNS:
        expected = np.array([float(v) if v != "" else math.nan for v in text[c]])
        got = df[c].to_numpy()
        same = (got == expected) | (np.isnan(got) & np.isnan(expected))
        assert same.all(), f"{c}: first difference at row {int(np.argmin(same))}"
        # bit for bit, zeros' signs included
        assert np.array_equal(got.view(np.int64)[~np.isnan(got)], expected.view(np.int64)[~np.isnan(expected)]), c


def test_columns_and_dtypes(reference):
    df = reference
    assert tuple(df.columns) == rapport.SCORE_COLUMNS
    assert len(rapport.SCORE_COLUMNS) == 26
    for c in FLOAT_COLUMNS:
        assert df[c].dtype == np.float64, c
    for c in INT_COLUMNS:
        assert df[c].dtype == np.int64, c
    for c in STR_COLUMNS:
        assert df[c].dtype == object and all(isinstance(v, str) for v in df[c]), c
    assert df["ask_for_referral"].dtype == bool
    assert df["recovery"].isna().any()  # "no evidence" is NaN
    assert df.attrs["as_of"] == dt.date(2026, 6, 30)
    assert df.attrs["bgnbd"]["fitted"] and df.attrs["bgnbd"]["alpha"] > 0


def test_score_dir_equals_cli(cli, base_dir, reference, tmp_path):
    assert_equals_cli(reference, cli_scores(cli, base_dir, tmp_path / "scores.csv"))


def test_score_frames_equals_cli(cli, base_dir, tables_str, tmp_path):
    df = rapport.score(**fresh(tables_str))
    assert_equals_cli(df, cli_scores(cli, base_dir, tmp_path / "scores.csv"))


def test_score_as_of_equals_cli(cli, base_dir, tables_dt, tmp_path):
    df = rapport.score(**fresh(tables_dt), as_of="2025-03-15")
    assert df.attrs["as_of"] == dt.date(2025, 3, 15)
    assert_equals_cli(df, cli_scores(cli, base_dir, tmp_path / "scores.csv", "--as-of", "2025-03-15"))


def test_score_config_equals_cli(cli, base_dir, tmp_path):
    cfg = rapport.ScoringConfig(half_life_days=90, loyalty_weights=(0.4, 0.2, 0.2, 0.1, 0.1), katz_beta=0.25)
    (tmp_path / "cfg.json").write_text(cfg.to_json())
    df = rapport.score_dir(base_dir, config=cfg)
    assert_equals_cli(df, cli_scores(cli, base_dir, tmp_path / "scores.csv", "--config", str(tmp_path / "cfg.json")))


@pytest.mark.parametrize("parse_times", [False, True], ids=["iso-strings", "datetime64"])
def test_frames_equal_score_dir(base_dir, reference, parse_times):
    frames = read_tables(base_dir, parse_times)
    df = rapport.score(frames["customers"], frames["contacts"], frames["purchases"], frames["referrals"])
    pd.testing.assert_frame_equal(df, reference, check_exact=True)


def test_inputs_not_modified(tables_str):
    frames = fresh(tables_str)
    rapport.score(**frames)
    for k, v in frames.items():
        pd.testing.assert_frame_equal(v, tables_str[k])


def test_generate_equals_csv(base_dir, reference):
    base = rapport.generate(500, seed=3)
    assert isinstance(base, rapport.CustomerBase)
    pd.testing.assert_frame_equal(rapport.score(base), reference, check_exact=True)


def test_to_frames_round_trip(base_dir, reference):
    base = rapport.load_dir(base_dir)
    frames = base.to_frames()
    assert frames["contacts"]["channel"].dtype.name == "category"
    assert frames["contacts"]["resolved_at"].isna().any()
    assert len(frames["customers"]) == base.customers == 500
    pd.testing.assert_frame_equal(rapport.score(**frames), reference, check_exact=True)


def test_base_reused(base_dir, reference):
    base = rapport.load_dir(base_dir)
    assert base.rows["customers"] == {"read": 500, "rejected": 0, "accepted": 500}
    assert base.default_as_of == dt.date(2026, 6, 30)
    assert len(base) == 500 and base.rejected == 0 and base.rejects == []
    pd.testing.assert_frame_equal(rapport.score(base), reference, check_exact=True)
    pd.testing.assert_frame_equal(rapport.score(str(base_dir)), reference, check_exact=True)
    pd.testing.assert_frame_equal(
        rapport.score(base_dir / "customers.csv", base_dir / "contacts.csv", base_dir / "purchases.csv",
                      base_dir / "referrals.csv"),
        reference, check_exact=True)


@pytest.mark.parametrize(
    "as_of",
    [
        "2025-03-15",
        dt.date(2025, 3, 15),
        dt.datetime(2025, 3, 15, 13, 30),
        dt.datetime(2025, 3, 15, 23, 30, tzinfo=dt.timezone.utc),
        dt.datetime(2025, 3, 16, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),  # 2025-03-15T22:30Z
        np.datetime64("2025-03-15"),
        np.datetime64("2025-03-15T08:00:00"),
        pd.Timestamp("2025-03-15"),
        pd.Timestamp("2025-03-16 00:30", tz="Europe/Paris"),  # 2025-03-15T23:30Z
    ],
    ids=lambda v: type(v).__name__,
)
def test_as_of_forms(base_dir, as_of):
    base = rapport.load_dir(base_dir)
    expected = rapport.score(base, as_of="2025-03-15")
    df = rapport.score(base, as_of=as_of)
    assert df.attrs["as_of"] == dt.date(2025, 3, 15)
    pd.testing.assert_frame_equal(df, expected, check_exact=True)


def test_as_of_changes_scores(base_dir, reference):
    df = rapport.score_dir(base_dir, as_of=dt.date(2024, 1, 1))
    assert len(df) < len(reference)  # customers acquired later are not scored yet


def test_config_forms_and_threads(base_dir):
    base = rapport.load_dir(base_dir)
    default = rapport.score(base)
    changed = rapport.score(base, config={"half_life_days": 60})
    assert not changed["loyalty_given"].equals(default["loyalty_given"])
    pd.testing.assert_frame_equal(rapport.score(base, config=rapport.ScoringConfig(half_life_days=60)), changed)
    pd.testing.assert_frame_equal(rapport.score(base, config='{"half_life_days": 60}'), changed)
    # the thread count does not change a single bit
    pd.testing.assert_frame_equal(rapport.score(base, threads=1), default, check_exact=True)
    pd.testing.assert_frame_equal(rapport.score(base, threads=3), default, check_exact=True)
    cfg = rapport.ScoringConfig()
    rapport.score(base, config=cfg, threads=2)
    assert cfg.threads == 0  # the caller's config is not modified


def test_fixed_parameters(base_dir):
    base = rapport.load_dir(base_dir)
    fitted = rapport.score(base)
    cfg = rapport.ScoringConfig(bgnbd={k: fitted.attrs["bgnbd"][k] for k in "r alpha a b".split()},
                                gamma_gamma={k: fitted.attrs["gamma_gamma"][k] for k in ("p", "q", "gamma")})
    fixed = rapport.score(base, config=cfg)
    assert not fixed.attrs["bgnbd"]["fitted"]
    pd.testing.assert_frame_equal(fixed, fitted, check_exact=True)


def test_summary(base_dir, tables_str):
    s = rapport.summary(**fresh(tables_str))
    for key in ("as_of", "rows", "rejected_by_reason", "customers_scored", "loyalty_given", "critical_wheel",
                "revenue", "referrals", "value", "bgnbd", "gamma_gamma", "config", "next_actions"):
        assert key in s, key
    assert s["as_of"] == "2026-06-30"
    assert s["customers_scored"] == 500
    for t in ("customers", "contacts", "purchases", "referrals"):
        assert s["rows"][t]["read"] == len(tables_str[t])
        assert s["rows"][t]["rejected"] == 0
    assert set(s["bgnbd"]) >= {"r", "alpha", "a", "b"}
    assert {"overall", "per_segment"} <= set(s["loyalty_given"])
    assert s == rapport.summary(base_dir)


def test_summary_equals_cli(cli, base_dir, tmp_path):
    out = tmp_path / "summary.json"
    subprocess.run([cli, "score", str(base_dir), "--summary", str(out), "--quiet"], check=True, capture_output=True)
    assert rapport.summary(base_dir) == json.loads(out.read_text())


def test_explain(base_dir, reference, cli, tmp_path):
    ex = rapport.explain(base_dir)
    assert isinstance(ex, list) and len(ex) == len(reference)
    assert [e["customer_id"] for e in ex] == reference["customer_id"].tolist()
    first = ex[0]
    assert {"customer_id", "loyalty_given", "referral_potential", "next_action"} <= set(first)
    names = [c["name"] for c in first["loyalty_given"]["components"]]
    assert names == list(rapport.LOYALTY_COMPONENTS)
    for c in first["loyalty_given"]["components"]:
        assert {"name", "value", "weight", "contribution", "evidence"} <= set(c)
    assert first["loyalty_given"]["value"] == reference["loyalty_given"][0]
    assert first["next_action"]["action"] == reference["next_action"][0]
    out = tmp_path / "explain.jsonl"
    subprocess.run([cli, "score", str(base_dir), "--explain", str(out), "--quiet"], check=True, capture_output=True)
    assert ex == [json.loads(line) for line in out.read_text().splitlines()]


def test_run(base_dir, reference):
    r = rapport.run(base_dir, explanations=True)
    pd.testing.assert_frame_equal(r.scores, reference, check_exact=True)
    assert r.summary["customers_scored"] == len(reference)
    assert len(r.explanations) == len(reference)
    assert rapport.run(base_dir).explanations is None


def test_zero_copy_float_columns(base_dir):
    df = rapport.score_dir(base_dir)
    col = df["loyalty_given"].to_numpy()
    assert col.base is not None and not col.flags.owndata  # a view of the C++ result vector
    df2 = df.copy()
    del df
    assert np.isfinite(col).all() and len(df2) == len(col)


def test_format_number():
    assert rapport.format_number(0.1) == "0.1"
    assert rapport.format_number(float("nan")) == ""
    assert float(rapport.format_number(1 / 3)) == 1 / 3
