"""rapport.validate and `rapport validate` on CDNOW (holdout weeks 40-78), and the value intervals."""

import json
import subprocess

import numpy as np
import pandas as pd
import pytest

import rapport
from conftest import data_dir


@pytest.fixture(scope="module")
def cdnow_tables(tmp_path_factory):
    raw = pd.read_csv(data_dir() / "cdnow" / "CDNOW_sample.txt", sep=r"\s+", header=None,
                      names=["master_id", "sample_id", "date", "cds", "dollars"])
    raw["at"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    first = raw.groupby("sample_id")["at"].min()
    customers = pd.DataFrame({"customer_id": first.index.astype(str), "acquired_on": first.dt.strftime("%Y-%m-%d")})
    purchases = pd.DataFrame({"customer_id": raw["sample_id"].astype(str), "at": raw["at"], "amount": raw["dollars"]})
    d = tmp_path_factory.mktemp("cdnow")
    customers.to_csv(d / "customers.csv", index=False)
    purchases.assign(at=purchases["at"].dt.strftime("%Y-%m-%d")).to_csv(d / "purchases.csv", index=False)
    return customers, purchases, d


def test_validate_cdnow_holdout(cdnow_tables, tmp_path):
    customers, purchases, _ = cdnow_tables
    page = tmp_path / "v.html"
    v = rapport.validate(customers, purchases=purchases, holdout_from="1997-10-01", holdout_to="1998-06-30",
                         value_model=["bgnbd", "pareto_nbd"], report=page)
    assert v["customers"] == 2357 and v["holdout_days"] == 273
    # BTYD walkthrough, pnbd.PlotFreqVsConditionalExpectedFrequency on CDNOW: bins and actual means
    bins = [1411, 439, 214, 100, 62, 38, 29, 64]
    actual = [0.2367116, 0.6970387, 1.392523, 1.560000, 2.532258, 2.947368, 3.862069, 6.359375]
    assert v["actual_holdout_purchases"] == 1882  # = sum(bins x actual means)
    rows = v["models"][0]["by_frequency"]
    assert [r["x"] for r in rows] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert [r["customers"] for r in rows] == bins
    assert np.allclose([r["actual_mean"] for r in rows], actual, atol=5e-7)
    assert [m["model"] for m in v["models"]] == ["bgnbd", "pareto_nbd"]
    for m in v["models"]:
        assert m["fitted"], m
        h = m["holdout"]
        assert h["actual"] == 1882
        assert h["percent_error"] == pytest.approx(100 * (h["predicted"] - 1882) / 1882)
        assert 0 < h["mae"] <= h["rmse"] and h["correlation"] > 0.5
        assert sum(r["customers"] * r["predicted_mean"] for r in m["by_frequency"]) == pytest.approx(h["predicted"])
        assert set(m["fit"]["params"]) == set(m["fit"]["std_errors"])
    assert len(v["tracking"]) == 78 and v["tracking"][39]["from"] == "1997-10-01"
    assert v["tracking"][-1]["actual_cumulative"] - v["tracking"][38]["actual_cumulative"] == 1882
    assert v["spend"]["fitted"] and v["spend"]["fit"]["params"]["p"] == pytest.approx(6.25, abs=0.01)
    html = page.read_text()
    assert 'data-chart="tracking-cumulative"' in html and 'data-chart="by-frequency"' in html


def test_cli_validate_equals_python(cli, cdnow_tables, tmp_path):
    customers, purchases, d = cdnow_tables
    out = tmp_path / "v.json"
    r = subprocess.run([cli, "validate", str(d), "--holdout-from", "1997-10-01", "--value-model", "bgnbd",
                        "--out", str(out), "--report", str(tmp_path / "v.html")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "bgnbd" in r.stderr and "MAE" in r.stderr
    from_cli = json.loads(out.read_text())
    from_py = rapport.validate(customers, purchases=purchases, holdout_from="1997-10-01")
    assert from_cli == from_py
    assert from_cli["holdout_to"] == "1998-06-30"  # the last purchase day by default


def test_validate_refuses_bad_requests(cli, cdnow_tables, tmp_path):
    customers, purchases, d = cdnow_tables
    with pytest.raises(rapport.ConfigError, match="before it starts"):
        rapport.validate(customers, purchases=purchases, holdout_from="1997-10-01", holdout_to="1997-09-01")
    with pytest.raises(rapport.ConfigError, match="nope"):
        rapport.validate(customers, purchases=purchases, holdout_from="1997-10-01", value_model="nope")
    with pytest.raises(rapport.InputError, match="bought before"):
        rapport.validate(customers, purchases=purchases, holdout_from="1996-01-01")
    r = subprocess.run([cli, "validate", str(d), "--holdout-from", "1997-13-01", "--out", str(tmp_path / "v.json")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--holdout-from" in r.stderr
    assert not (tmp_path / "v.json").exists()


def test_intervals_columns(cli, cdnow_tables, tmp_path):
    customers, purchases, d = cdnow_tables
    plain = rapport.score(customers, purchases=purchases, as_of="1997-09-30")
    cfg = {"intervals": 0.9, "interval_draws": 200}
    with_iv = rapport.score(customers, purchases=purchases, as_of="1997-09-30", config=cfg)
    assert list(with_iv.columns) == list(rapport.SCORE_COLUMNS) + [
        "p_alive_lo", "p_alive_hi", "expected_purchases_lo", "expected_purchases_hi",
        "expected_value_lo", "expected_value_hi"]
    pd.testing.assert_frame_equal(with_iv[list(rapport.SCORE_COLUMNS)], plain)
    by_kwarg = rapport.score(customers, purchases=purchases, as_of="1997-09-30", intervals=0.9,
                             config={"interval_draws": 200})
    pd.testing.assert_frame_equal(by_kwarg, with_iv)
    with pytest.raises(rapport.ConfigError, match="intervals"):
        rapport.score(customers, purchases=purchases, intervals=1.5)
    for name in ("p_alive", "expected_purchases", "expected_value"):
        lo, hi, point = with_iv[name + "_lo"], with_iv[name + "_hi"], with_iv[name]
        assert (lo <= hi).all()
        assert ((lo <= point + 1e-9) & (point <= hi + 1e-9)).mean() > 0.9  # the estimate inside its own interval
    # the CLI writes the same columns, and the plain scores' bytes are unchanged without --intervals
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for path, extra in ((a, []), (b, ["--intervals", "0.9", "--interval-draws", "200", "--threads", "1"])):
        r = subprocess.run([cli, "score", str(d), "--as-of", "1997-09-30", "--out", str(path), "--quiet"] + extra,
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    plain_csv, iv_csv = a.read_text().splitlines(), b.read_text().splitlines()
    assert [line.rsplit(",", 6)[0] for line in iv_csv] == plain_csv
    again = tmp_path / "c.csv"
    r = subprocess.run([cli, "score", str(d), "--as-of", "1997-09-30", "--out", str(again), "--quiet",
                        "--intervals", "0.9", "--interval-draws", "200", "--threads", "4"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert again.read_bytes() == b.read_bytes()  # the same bytes for any thread count


def test_plot_views_draw_the_json(cdnow_tables):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import rapport.plot as plot

    customers, purchases, _ = cdnow_tables
    v = rapport.validate(customers, purchases=purchases, holdout_from="1997-10-01")
    ax = plot.tracking(v)
    actual, bgnbd = ax.get_lines()[0], ax.get_lines()[1]
    assert list(actual.get_ydata()) == [w["actual_cumulative"] for w in v["tracking"]]
    assert list(bgnbd.get_ydata()) == [w["expected_cumulative"]["bgnbd"] for w in v["tracking"]]
    assert "week 40" in ax.get_title()
    assert plot.tracking(v, cumulative=False).get_lines()[0].get_ydata()[0] == v["tracking"][0]["actual"]
    ax = plot.by_frequency(v)
    assert [p.get_height() for p in ax.patches] == [r["actual_mean"] for r in v["models"][0]["by_frequency"]]


def period_tables():
    """The C++ test's base (tests/scoring/validate_test.cpp, ValidatePeriods), drawn there: days
    from 2026-01-01, D1 = day 40, D2 = day 64, periods of 10 days. BG/BB counts 4 holdout
    opportunities with a purchase over p, q, r; sBG 6 renewals over p, q, r, s."""
    d0 = pd.Timestamp("2026-01-01")
    day = lambda k: (d0 + pd.Timedelta(days=k)).strftime("%Y-%m-%d")  # noqa: E731
    customers = pd.DataFrame({"customer_id": ["p", "q", "r", "s"], "acquired_on": [day(0), day(14), day(2), day(12)],
                              "ended_on": [None, day(50), day(25), day(70)]})
    bought = [("p", 0), ("p", 5), ("p", 12), ("p", 38), ("p", 41), ("p", 55), ("p", 58), ("p", 63), ("q", 14),
              ("q", 30), ("q", 50), ("q", 61), ("r", 2)]
    purchases = pd.DataFrame({"customer_id": [c for c, _ in bought],
                              "at": [f"{day(k)}T01:00:00Z" for _, k in bought], "amount": 10.0})
    return customers, purchases, day(40), day(64)


def test_validate_bgbb_and_sbg_by_hand_and_their_plots():
    customers, purchases, d1, d2 = period_tables()
    cfg = {"opportunity_days": 10, "contract_period_days": 10, "fit": {"min_customers": 1}}
    v = rapport.validate(customers, purchases=purchases, holdout_from=d1, holdout_to=d2, value_model="all",
                         config=cfg)
    by_name = {m["model"]: m for m in v["models"]}
    assert list(by_name) == ["bgnbd", "pareto_nbd", "mbgnbd", "bgbb", "sbg"]  # all: both fed here
    bgbb, sbg = by_name["bgbb"], by_name["sbg"]
    assert bgbb["holdout"]["unit"] == "opportunities with a purchase"
    assert (bgbb["holdout"]["customers"], bgbb["holdout"]["actual"]) == (3, 4)
    assert sbg["holdout"]["unit"] == "renewals"
    assert (sbg["holdout"]["customers"], sbg["holdout"]["actual"]) == (4, 6)
    assert bgbb["fitted"] and sbg["fitted"], (bgbb, sbg)
    assert "bgbb" not in v["tracking"][0]["expected"] and "sbg" not in v["tracking"][0]["expected"]
    # their tracking per period, drawn in the C++ test: BG/BB's customers with a purchase at
    # opportunity k (observed: p 6, q 5, r 6), sBG's contracts active after period k (observed:
    # p 6, q 5, r 6, s 5; survived: p 6, q 3, r 2, s 5)
    assert [t["period"] for t in bgbb["tracking_periods"]] == [1, 2, 3, 4, 5, 6]
    assert [t["customers"] for t in bgbb["tracking_periods"]] == [3, 3, 3, 3, 3, 2]
    assert [t["actual"] for t in bgbb["tracking_periods"]] == [2, 0, 2, 2, 1, 1]
    assert [t["actual_cumulative"] for t in bgbb["tracking_periods"]] == [2, 2, 4, 6, 7, 8]
    a, b, g, d = (bgbb["fit"]["params"][k] for k in ("alpha", "beta", "gamma", "delta"))
    at_opportunity = [a / (a + b) * np.prod([(d + j - 1) / (g + d + j - 1) for j in range(1, k + 1)])
                      for k in range(1, 7)]  # a new customer's P(purchase at opportunity k)
    np.testing.assert_allclose([t["expected"] for t in bgbb["tracking_periods"]],
                               np.array([3, 3, 3, 3, 3, 2]) * at_opportunity, rtol=1e-12)
    assert [t["customers"] for t in sbg["tracking_periods"]] == [4, 4, 4, 4, 4, 2]
    assert [t["actual"] for t in sbg["tracking_periods"]] == [4, 4, 3, 2, 2, 1]
    a, b = sbg["fit"]["params"]["alpha"], sbg["fit"]["params"]["beta"]
    survival = np.cumprod([(b + k - 1) / (a + b + k - 1) for k in range(1, 7)])  # S(k)
    np.testing.assert_allclose([t["expected_cumulative"] for t in sbg["tracking_periods"]],
                               np.cumsum(np.array([4, 4, 4, 4, 4, 2]) * survival), rtol=1e-12)
    assert "tracking_periods" not in by_name["bgnbd"]
    # without what they need, "all" leaves them out and naming them is refused with the reason
    plain = rapport.validate(customers.drop(columns="ended_on"), purchases=purchases, holdout_from=d1,
                             value_model="all", config={"fit": {"min_customers": 1}})
    assert [m["model"] for m in plain["models"]] == ["bgnbd", "pareto_nbd", "mbgnbd"]
    with pytest.raises(rapport.ConfigError, match="opportunity_days"):
        rapport.validate(customers, purchases=purchases, holdout_from=d1, value_model="bgbb")

    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import rapport.plot as plot

    drawn = [line.get_label() for line in plot.tracking(v).get_lines()]
    assert "bgbb" not in drawn and "sbg" not in drawn and drawn[0] == "actual"
    for name, m in (("bgbb", bgbb), ("sbg", sbg)):
        actual, expected = plot.tracking(v, model=name).get_lines()
        assert expected.get_label() == name
        assert list(actual.get_ydata()) == [t["actual_cumulative"] for t in m["tracking_periods"]]
        assert list(expected.get_ydata()) == [t["expected_cumulative"] for t in m["tracking_periods"]]
        weekly = plot.tracking(v, cumulative=False, model=name).get_lines()[1]
        assert list(weekly.get_ydata()) == [t["expected"] for t in m["tracking_periods"]]
    with pytest.raises(ValueError, match="nope"):
        plot.tracking(v, model="nope")
    ax = plot.by_frequency(v, model="sbg")
    np.testing.assert_array_equal([p.get_height() for p in ax.patches],
                                  [np.nan if r["actual_mean"] is None else r["actual_mean"]
                                   for r in sbg["by_frequency"]])
    assert [line.get_label() for line in ax.get_lines()] == ["sbg"] and "periods" in ax.get_xlabel()
    ax = plot.by_frequency(v, model="bgbb")
    assert [line.get_label() for line in ax.get_lines()] == ["bgbb"]
    with pytest.raises(ValueError, match="nope"):
        plot.by_frequency(v, model="nope")


def test_report_with_a_holdout_shows_validate(cdnow_tables):
    import re

    customers, purchases, _ = cdnow_tables
    html = rapport.report(customers, purchases=purchases, holdout_from="1997-10-01", holdout_to="1998-06-30")
    v = rapport.validate(customers, purchases=purchases, holdout_from="1997-10-01", holdout_to="1998-06-30")
    assert 'id="validation"' in html and 'data-chart="tracking-cumulative"' in html
    figures = re.findall(r'data-validation="([^"]+)" data-value="([^"]*)"', html)
    assert len(figures) > 2 * 78
    for pointer, value in figures:
        node = v
        for token in pointer.split("/")[1:]:
            node = node[int(token)] if isinstance(node, list) else node[token]
        assert (value == "" and node is None) or float(value) == node, pointer
    assert 'id="validation"' not in rapport.report(customers, purchases=purchases)
    with pytest.raises(ValueError, match="holdout_from"):
        rapport.report(customers, purchases=purchases, holdout_to="1998-06-30")
