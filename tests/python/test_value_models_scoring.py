"""The `value_model` setting and the customers column `ended_on` through every entry point: CSV,
SQLite, DataFrames and live Scorer batches give the same rows and rejects; `score` (Python and
CLI), `Scorer`, `history` and `--db` agree column for column under a non-default model; the
default keeps its bytes."""

import csv
import json
import sqlite3
import subprocess

import numpy as np
import pandas as pd
import pytest

import rapport

pytestmark = pytest.mark.filterwarnings("ignore::rapport.RejectedRowsWarning",
                                        "ignore::rapport.ValueModelWarning")

TABLES = ("customers", "contacts", "purchases", "referrals")
NON_DEFAULT = {"value_model": "auto", "discount_rate": 0.1}


@pytest.fixture()
def ended_dir(base_dir, tmp_path):
    """The generated base with an `ended_on` column: every 7th customer's contract ended 200 days
    after acquisition, plus three bad rows (lines 502-504)."""
    folder = tmp_path / "ended"
    folder.mkdir()
    for table in TABLES[1:]:
        (folder / f"{table}.csv").write_bytes((base_dir / f"{table}.csv").read_bytes())
    cu = pd.read_csv(base_dir / "customers.csv", dtype=str, keep_default_na=False)
    acquired = pd.to_datetime(cu["acquired_on"])
    ended = (acquired + pd.Timedelta(days=200)).dt.strftime("%Y-%m-%d")
    cu["ended_on"] = np.where(np.arange(len(cu)) % 7 == 3, ended, "")
    bad = pd.DataFrame({"customer_id": ["X1", "X2", "X3"], "acquired_on": ["2024-05-01"] * 3,
                        "segment": [""] * 3, "ended_on": ["2024-04-30", "2024-02-30", "soon"]})
    pd.concat([cu, bad]).to_csv(folder / "customers.csv", index=False)
    return folder


def csv_to_sqlite(folder, db_path):
    con = sqlite3.connect(db_path)
    for table in TABLES:
        with open(folder / f"{table}.csv", newline="") as f:
            rows = list(csv.reader(f))
        header, body = rows[0], rows[1:]
        types = {"acquired_on": "DATE", "ended_on": "DATE"}
        con.execute(f"CREATE TABLE {table} ({', '.join(c + ' ' + types.get(c, 'TEXT') for c in header)})")
        con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(header))})",
                        [[v if v != "" else None for v in r] for r in body])
    con.commit()
    con.close()


EXPECTED_REJECTS = [  # (column name, reason) of the three bad customers rows, in row order
    ("ended_on", "ended_on before acquired_on"),
    ("ended_on", "ended_on: impossible date"),
    ("ended_on", "ended_on: unparsable date (expected YYYY-MM-DD)"),
]


def customer_rejects(base):
    return customer_rejects_of(base.rejects_frame())


def customer_rejects_of(df):
    df = df[df["table"] == "customers"]
    return [(r.column, r.reason) for r in df.itertuples()]


def test_ended_on_from_csv_sqlite_and_dataframes(ended_dir, tmp_path):
    from_csv = rapport.load_dir(ended_dir)
    assert customer_rejects(from_csv) == EXPECTED_REJECTS
    assert [r["line"] for r in from_csv.rejects] == [502, 503, 504]  # after the header and 500 customers
    db = tmp_path / "b.db"
    csv_to_sqlite(ended_dir, db)
    from_db = rapport.load_db(f"sqlite:{db}")
    assert customer_rejects(from_db) == EXPECTED_REJECTS
    frames = {t: pd.read_csv(ended_dir / f"{t}.csv", dtype=str, keep_default_na=False) for t in TABLES}
    from_df = rapport.load(**frames)
    assert customer_rejects(from_df) == EXPECTED_REJECTS
    # datetime64 with NaT while active reads the same
    frames["customers"] = frames["customers"].iloc[:-3].copy()
    frames["customers"]["ended_on"] = pd.to_datetime(frames["customers"]["ended_on"].replace("", None))
    from_dt = rapport.load(**frames)
    ref = from_csv.to_frames()["customers"]
    for base in (from_db, from_df, from_dt):
        got = base.to_frames()["customers"]
        assert got["ended_on"].isna().sum() == ref["ended_on"].isna().sum() > 300
        pd.testing.assert_series_equal(got["ended_on"], ref["ended_on"])


def test_ended_on_through_live_scorer_batches(ended_dir):
    frames = {t: pd.read_csv(ended_dir / f"{t}.csv", dtype=str, keep_default_na=False) for t in TABLES}
    cu = frames["customers"]
    scorer = rapport.Scorer(rapport.load(cu.iloc[:100]), as_of="2026-06-30", config={"bgnbd": {"r": 0.5, "alpha": 30, "a": 0.8, "b": 2.5},
                                                                  "gamma_gamma": {"p": 6, "q": 4, "gamma": 15}})
    report = scorer.add(customers=cu.iloc[100:], purchases=frames["purchases"])
    assert customer_rejects_of(report) == EXPECTED_REJECTS
    scores = scorer.scores()
    good = cu.iloc[:-3]
    ended = set(good["customer_id"][(good["ended_on"] != "") & (good["ended_on"] <= "2026-06-30")])
    lost = scores[scores["customer_id"].isin(ended)]
    assert len(lost) == len(ended) > 50
    assert (lost["p_alive"].fillna(0) == 0).all() and (lost["expected_value"] == 0).all()


def test_default_config_json_and_summary_keep_their_keys(base_dir):
    assert "value_model" not in rapport.ScoringConfig().to_json()
    s = rapport.summary(rapport.load_dir(base_dir))
    assert "purchase_model" not in s and "model_selection" not in s


def test_value_model_setting_in_python():
    c = rapport.ScoringConfig(value_model="auto", opportunity_days=365)
    assert c.value_model == "auto" and c.opportunity_days == 365
    with pytest.raises(rapport.ConfigError, match="value_model must be one of bgnbd, pareto_nbd"):
        c.value_model = "lifetimes"
    assert c.value_model == "auto"
    with pytest.raises(rapport.ConfigError, match="discount_rate must be a finite number >= 0"):
        rapport.ScoringConfig(discount_rate=-1)


def scores_csv(cli, args, tmp_path, name):
    out = tmp_path / name
    subprocess.run([cli, *args, "--out", str(out)], check=True, capture_output=True)
    return pd.read_csv(out, dtype={"customer_id": str, "root_id": str})


@pytest.mark.parametrize("which", ["ended", "plain"])
def test_every_entry_point_agrees_under_a_non_default_model(cli, ended_dir, base_dir, tmp_path, which):
    if which == "plain":  # no ended_on: auto races the candidates on the holdout
        ended_dir = base_dir
    cfg_file = tmp_path / "cfg.json"
    cfg_file.write_text(json.dumps(NON_DEFAULT))
    as_of = "2026-06-30"
    from_cli = scores_csv(cli, ["score", str(ended_dir), "--config", str(cfg_file), "--as-of", as_of], tmp_path, "a.csv")
    from_py = rapport.score_dir(ended_dir, config=NON_DEFAULT, as_of=as_of)
    summary = rapport.summary(rapport.load_dir(ended_dir), config=NON_DEFAULT, as_of=as_of)
    winner = summary["model_selection"]["winner"]
    if which == "ended":
        assert winner == "sbg"  # customers have ended_on
    else:
        assert [c["name"] for c in summary["model_selection"]["candidates"]] == ["bgnbd", "pareto_nbd", "mbgnbd"]
        assert summary["model_selection"]["holdout_days"] == 365
        assert from_py["expected_value"].notna().all()  # the winner was fitted: value at stake is known
    assert summary["purchase_model"]["name"] == winner
    assert from_py.attrs["purchase_model"]["name"] == winner
    assert from_py.attrs["model_selection"]["winner"] == winner
    db = tmp_path / "b.db"
    csv_to_sqlite(ended_dir, db)
    from_db = scores_csv(cli, ["score", "--db", f"sqlite:{db}", "--config", str(cfg_file), "--as-of", as_of],
                         tmp_path, "db.csv")
    imported = tmp_path / "imported.db"  # rapport import carries ended_on into the customers table
    subprocess.run([cli, "import", str(ended_dir), "--db", f"sqlite:{imported}"], check=True, capture_output=True)
    from_import = scores_csv(cli, ["score", "--db", f"sqlite:{imported}", "--config", str(cfg_file), "--as-of", as_of],
                             tmp_path, "imp.csv")
    hist = tmp_path / "h.csv"
    subprocess.run([cli, "history", str(ended_dir), "--config", str(cfg_file), "--as-of", as_of, "--out", str(hist)],
                   check=True, capture_output=True)
    from_hist = pd.read_csv(hist, dtype={"customer_id": str, "root_id": str}).drop(columns=["as_of"])
    cols = ["customer_id", "p_alive", "expected_purchases", "expected_value", "upserve_value", "upserve_score"]
    for other in (from_db, from_import, from_hist):
        pd.testing.assert_frame_equal(other[cols], from_cli[cols])
    html = tmp_path / "r.html"
    subprocess.run([cli, "report", str(ended_dir), "--config", str(cfg_file), "--as-of", as_of, "--out", str(html)],
                   check=True, capture_output=True)
    page = html.read_text()
    assert "Model choice (value_model auto)" in page and f"Chosen: {winner}." in page
    py = from_py[cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(py.astype({"customer_id": str}), from_cli[cols], check_dtype=False)
