"""Errors: missing columns, rejected rows (warnings, strict mode), bad as_of, model fits."""

import warnings

import numpy as np
import pandas as pd
import pytest

import rapport
from conftest import fresh


def small():
    customers = pd.DataFrame({
        "customer_id": ["a", "b", "c", "b", ""],
        "acquired_on": ["2024-01-01", "2024-01-02", "2024-02-30", "2024-01-03", "2024-01-04"],
        "segment": ["x", "y", "x", "y", "x"],
    })
    contacts = pd.DataFrame({
        "customer_id": ["a", "a", "zz", "b", "a", "b"],
        "at": ["2024-01-05T10:00:00Z", "2024-01-06", "2024-01-07", "2024-01-08", "2024-01-09 10:00:00", "nope"],
        "channel": ["phone", "telepathy", "email", "visit", "email", "email"],
        "stage": ["welcome", "welcome", "welcome", "service", "closing", "welcome"],
        "initiator": ["business", "business", "business", "customer", "business", "business"],
        "aspect": ["technical", "technical", "technical", "hospitality", "wow", "technical"],
        "impression": [1, 0, 0, 5, 2, 0],
        "complaint": [False, False, False, True, False, False],
        "resolved_at": [None, None, None, "2024-01-01", None, None],
    })
    purchases = pd.DataFrame({"customer_id": ["a", "b", "a", "q"],
                              "at": ["2024-01-05", "2024-01-06", "2024-01-07", "2024-01-07"],
                              "amount": [10.0, -1.0, np.nan, 3.0]})
    referrals = pd.DataFrame({"referrer_id": ["a", "a", "", "p"], "referred_id": ["b", "a", "b", "a"],
                              "at": ["2024-01-01", "2024-01-01", "2024-01-01", "2023-13-01"]})
    return customers, contacts, purchases, referrals


EXPECTED_REJECTS = [
    # (table, row, column, reason fragment)
    ("customers", 2, "acquired_on", "impossible date"),
    ("customers", 3, "customer_id", "duplicate customer_id"),
    ("customers", 4, "customer_id", "empty customer_id"),
    ("contacts", 1, "channel", "unknown channel 'telepathy'"),
    ("contacts", 2, "customer_id", "unknown customer"),
    ("contacts", 3, "impression", "out of range"),
    ("contacts", 5, "at", "unparsable timestamp"),
    ("purchases", 1, "amount", "negative amount"),
    ("purchases", 2, "amount", "unparsable amount"),
    ("purchases", 3, "customer_id", "unknown customer"),
    ("referrals", 1, "referred_id", "self-referral"),
    ("referrals", 2, "referrer_id", "empty referrer_id"),
    ("referrals", 3, "at", "timestamp"),
]


@pytest.mark.parametrize("table,column", [
    ("customers", "customer_id"), ("customers", "acquired_on"), ("contacts", "at"), ("contacts", "complaint"),
    ("contacts", "resolved_at"), ("purchases", "amount"), ("referrals", "referred_id"),
])
def test_missing_column(table, column):
    tables = dict(zip(("customers", "contacts", "purchases", "referrals"), small()))
    tables[table] = tables[table].drop(columns=column)
    with pytest.raises(ValueError, match=f"{table}: missing required column '{column}'"):
        rapport.score(**tables)


def test_missing_csv_column(tmp_path):
    (tmp_path / "customers.csv").write_text("customer_id,segment\na,x\n")
    with pytest.raises(rapport.InputError, match="acquired_on"):
        rapport.score_dir(tmp_path)
    with pytest.raises(ValueError):
        rapport.load_dir(tmp_path / "nowhere")


def test_rejects_warn_and_are_counted():
    with pytest.warns(rapport.RejectedRowsWarning, match="13 rejected input rows"):
        base = rapport.load(*small())
    got = [(r["table"], r["row"], r["column"], r["reason"]) for r in base.rejects]
    assert len(got) == len(EXPECTED_REJECTS)
    for (t, row, col, reason), (et, erow, ecol, frag) in zip(got, EXPECTED_REJECTS):
        assert (t, row, col) == (et, erow, ecol)
        assert frag in reason, (t, row, reason)
    assert base.rows["contacts"] == {"read": 6, "rejected": 4, "accepted": 2}
    assert base.rejected == 13
    frame = base.rejects_frame()
    assert list(frame.columns[:4]) == ["table", "row", "column", "reason"] and len(frame) == 13


def test_rejects_in_summary():
    customers, contacts, purchases, referrals = small()
    customers = pd.concat([customers] + [pd.DataFrame({"customer_id": [f"n{i}"], "acquired_on": ["2024-01-01"]})
                                         for i in range(12)], ignore_index=True)
    purchases = pd.concat([purchases] + [pd.DataFrame({"customer_id": [f"n{i}"] * 3,
                                                       "at": ["2024-01-02", "2024-01-20", f"2024-02-{i + 1:02d}"],
                                                       "amount": [5.0, 7.0, 9.0 + i]}) for i in range(12)],
                          ignore_index=True)
    with pytest.warns(rapport.RejectedRowsWarning):
        s = rapport.summary(customers, contacts, purchases, referrals, as_of="2024-03-01")
    assert s["rows"]["customers"] == {"read": 17, "rejected": 3, "accepted": 14}
    assert s["rows"]["purchases"]["rejected"] == 3
    assert s["rows"]["referrals"]["rejected"] == 3
    assert sum(s["rejected_by_reason"].values()) == 13
    assert s["rejected_by_reason"]["contacts: unknown channel"] == 1


def test_strict_raises_data_error():
    with pytest.raises(rapport.DataError) as e:
        rapport.score(*small(), strict=True)
    err = e.value
    assert isinstance(err, rapport.InputError) and isinstance(err, ValueError)
    assert len(err.rejects) == 13
    assert err.rejects[0]["table"] == "customers" and err.rejects[0]["row"] == 2
    assert "customers row 2: impossible date (column acquired_on)" in str(err)
    assert len(err.rejects_frame()) == 13


def test_strict_without_rejects_passes(tables_str):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rapport.load(**fresh(tables_str), strict=True)


def test_strict_csv(tmp_path, base_dir):
    for name in ("customers", "contacts", "purchases", "referrals"):
        (tmp_path / f"{name}.csv").write_text((base_dir / f"{name}.csv").read_text())
    with open(tmp_path / "contacts.csv", "a") as f:
        f.write("C00000001,2024-01-01T00:00:00Z,phone,welcome,business,technical,7,false,\n")
    with pytest.raises(rapport.DataError) as e:
        rapport.score_dir(tmp_path, strict=True)
    (r,) = e.value.rejects
    assert r["table"] == "contacts" and r["column"] == "impression" and r["row"] is None
    assert r["file"].endswith("contacts.csv") and r["line"] > 1 and r["raw"].startswith("C00000001,")
    with pytest.warns(rapport.RejectedRowsWarning):
        df = rapport.score_dir(tmp_path)
    assert len(df) == 500


@pytest.mark.parametrize("bad", ["2024-13-01", "2024-02-30", "yesterday", "2024-1-1", ""])
def test_bad_as_of_string(tables_str, bad):
    with pytest.raises(ValueError, match="as_of"):
        rapport.score(**fresh(tables_str), as_of=bad)


@pytest.mark.parametrize("bad", [20240101, 3.5, object()])
def test_bad_as_of_type(tables_str, bad):
    with pytest.raises(TypeError, match="as_of"):
        rapport.score(**fresh(tables_str), as_of=bad)


@pytest.mark.parametrize("bad", [pd.NaT, np.datetime64("NaT")])
def test_nat_as_of(tables_str, bad):
    with pytest.raises(ValueError):
        rapport.score(**fresh(tables_str), as_of=bad)


def test_integer_times_are_a_type_error():
    customers = pd.DataFrame({"customer_id": ["a"], "acquired_on": ["2024-01-01"]})
    purchases = pd.DataFrame({"customer_id": ["a"], "at": [1700000000], "amount": [1.0]})
    with pytest.raises(TypeError, match="purchases: column 'at'"):
        rapport.load(customers, purchases=purchases)


def test_empty_base():
    customers = pd.DataFrame({"customer_id": pd.Series([], dtype=object), "acquired_on": pd.Series([], dtype=object)})
    with pytest.raises(rapport.InputError, match="empty"):
        rapport.score(customers)


def test_fit_error():
    customers = pd.DataFrame({"customer_id": ["a", "b"], "acquired_on": ["2024-01-01", "2024-01-01"]})
    purchases = pd.DataFrame({"customer_id": ["a", "b"], "at": ["2024-01-02", "2024-01-03"], "amount": [1.0, 2.0]})
    with pytest.raises(rapport.FitError) as e:  # too few buyers: an error only in strict mode
        rapport.score(customers, purchases=purchases, strict=True)
    assert isinstance(e.value, RuntimeError)
    with pytest.raises(rapport.FitError):
        rapport.fit_bgnbd([0, 1], [0, 5], [10, 10])


def test_config_errors(tables_str):
    with pytest.raises(TypeError, match="unknown field"):
        rapport.ScoringConfig(half_life=3)
    with pytest.raises(ValueError):
        rapport.ScoringConfig.from_json('{"nope": 1}')
    with pytest.raises(ValueError, match="5 weights"):
        rapport.ScoringConfig(loyalty_weights=(1, 2))
    with pytest.raises(ValueError, match="unknown component"):
        rapport.ScoringConfig(referral_weights={"charm": 1})
    with pytest.raises(TypeError):
        rapport.score(**fresh(tables_str), config=42)
    with pytest.raises(ValueError):
        rapport.score(**fresh(tables_str), threads=-1)


def test_customer_base_with_tables(tables_str):
    base = rapport.load(**fresh(tables_str))
    with pytest.raises(TypeError):
        rapport.score(base, tables_str["contacts"])


def test_not_a_frame():
    with pytest.raises(TypeError, match="customers"):
        rapport.score([1, 2, 3])


def test_warnings_point_at_the_caller(tmp_path):
    customers = pd.DataFrame({"customer_id": ["a", "a"], "acquired_on": ["2024-01-01", "2024-01-01"]})
    customers.to_csv(tmp_path / "customers.csv", index=False)
    calls = [
        lambda: rapport.load(customers),
        lambda: rapport.load_dir(tmp_path),
        lambda: rapport.score(customers, config={"bgnbd": {"r": 1, "alpha": 1, "a": 1, "b": 1},
                                                 "gamma_gamma": {"p": 1, "q": 2, "gamma": 1}}),
        lambda: rapport.summary(tmp_path, config={"bgnbd": {"r": 1, "alpha": 1, "a": 1, "b": 1},
                                                  "gamma_gamma": {"p": 1, "q": 2, "gamma": 1}}),
        lambda: rapport.score_dir(tmp_path, config={"bgnbd": {"r": 1, "alpha": 1, "a": 1, "b": 1},
                                                    "gamma_gamma": {"p": 1, "q": 2, "gamma": 1}}),
    ]
    for call in calls:
        with pytest.warns(rapport.RejectedRowsWarning) as w:
            call()
        assert w[0].filename == __file__, w[0].filename
