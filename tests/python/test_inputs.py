"""Every accepted input form gives the same scores as the CSV files."""

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pytest

import rapport
from conftest import fresh


def check(frames, reference):
    pd.testing.assert_frame_equal(rapport.score(**frames, strict=True), reference, check_exact=True)


# ---------------------------------------------------------------- times


@pytest.mark.parametrize(
    "form",
    ["iso-z", "iso-space", "datetime64", "tz-utc", "tz-paris", "datetime-objects", "timestamp-objects",
     "aware-datetime-objects", "datetime64-objects", "datetime64[s]", "categorical-strings", "string-dtype"],
)
def test_time_forms(tables_str, reference, form):
    frames = fresh(tables_str)
    for t in ("contacts", "purchases", "referrals"):
        s = frames[t]["at"]
        parsed = pd.to_datetime(s, utc=True).dt.tz_localize(None)
        if form == "iso-z":
            new = s
        elif form == "iso-space":
            new = s.str.replace("T", " ").str.rstrip("Z")
        elif form == "datetime64":
            new = parsed
        elif form == "tz-utc":
            new = parsed.dt.tz_localize("UTC")
        elif form == "tz-paris":
            new = parsed.dt.tz_localize("UTC").dt.tz_convert("Europe/Paris")
        elif form == "datetime-objects":
            new = pd.Series([v.to_pydatetime() for v in parsed], dtype=object)
        elif form == "timestamp-objects":
            new = pd.Series(list(parsed), dtype=object)
        elif form == "aware-datetime-objects":
            tz = dt.timezone(dt.timedelta(hours=-5))
            new = pd.Series([v.to_pydatetime().replace(tzinfo=dt.timezone.utc).astimezone(tz) for v in parsed],
                            dtype=object)
        elif form == "datetime64-objects":
            new = pd.Series(list(parsed.to_numpy()), dtype=object)
        elif form == "datetime64[s]":
            frames[t] = {c: frames[t][c].to_numpy() for c in frames[t].columns}  # a mapping of numpy arrays
            frames[t]["at"] = parsed.to_numpy().astype("datetime64[s]")
            continue
        elif form == "categorical-strings":
            new = s.astype("category")
        elif form == "string-dtype":
            new = s.astype("string")
        frames[t]["at"] = new
    check(frames, reference)


@pytest.mark.parametrize("form", ["strings-empty", "nan", "none", "nat", "datetime64", "tz-aware"])
def test_resolved_at_forms(tables_str, reference, form):
    frames = fresh(tables_str)
    s = frames["contacts"]["resolved_at"]
    assert s.isna().any() and s.notna().any()
    if form == "strings-empty":
        new = s.fillna("")
    elif form == "nan":
        new = s  # read_csv gives NaN for the empty cells
    elif form == "none":
        new = s.astype(object).where(s.notna(), None)
    elif form == "nat":
        new = pd.Series([pd.Timestamp(v) if isinstance(v, str) else pd.NaT for v in s], dtype=object)
    elif form == "datetime64":
        new = pd.to_datetime(s, utc=True).dt.tz_localize(None)
    elif form == "tz-aware":
        new = pd.to_datetime(s, utc=True).dt.tz_convert("Asia/Tokyo")
    frames["contacts"]["resolved_at"] = new
    check(frames, reference)


def test_resolved_at_all_empty_float_column(tables_str):
    frames = fresh(tables_str)
    frames["contacts"]["resolved_at"] = np.nan  # an all-empty CSV column reads as float NaN
    frames["contacts"]["complaint"] = False
    assert rapport.load(**frames, strict=True).contacts == len(frames["contacts"])


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize("form", ["strings", "datetime64", "date-objects", "datetime-objects", "categorical",
                                  "tz-aware-midnight"])
def test_acquired_on_forms(tables_str, reference, form):
    frames = fresh(tables_str)
    s = frames["customers"]["acquired_on"]
    parsed = pd.to_datetime(s, format="%Y-%m-%d")
    new = {
        "strings": s,
        "datetime64": parsed,
        "date-objects": pd.Series([v.date() for v in parsed], dtype=object),
        "datetime-objects": pd.Series([v.to_pydatetime() for v in parsed], dtype=object),
        "categorical": s.astype("category"),
        "tz-aware-midnight": parsed.dt.tz_localize("UTC"),
    }[form]
    frames["customers"]["acquired_on"] = new
    check(frames, reference)


def test_acquired_on_with_time_of_day_rejected(tables_str):
    frames = fresh(tables_str)
    parsed = pd.to_datetime(frames["customers"]["acquired_on"])
    parsed.iloc[3] += pd.Timedelta(hours=5)
    frames["customers"]["acquired_on"] = parsed
    with pytest.raises(rapport.DataError) as e:
        rapport.load(**frames, strict=True)
    (r,) = [r for r in e.value.rejects if r["table"] == "customers"]
    assert r["row"] == 3 and r["column"] == "acquired_on" and "time of day" in r["reason"]


# ---------------------------------------------------------------- flags and numbers


@pytest.mark.parametrize("form", ["bool", "int", "float", "strings-truefalse", "strings-10", "object-bools",
                                  "numpy-bool-objects", "nullable-boolean"])
def test_complaint_forms(tables_str, reference, form):
    frames = fresh(tables_str)
    s = frames["contacts"]["complaint"]
    assert s.dtype == bool and s.any()
    new = {
        "bool": s,
        "int": s.astype(np.int64),
        "float": s.astype(np.float64),
        "strings-truefalse": s.map({True: "true", False: "false"}),
        "strings-10": s.map({True: "1", False: "0"}),
        "object-bools": s.astype(object),
        "numpy-bool-objects": pd.Series(list(s.to_numpy()), dtype=object),
        "nullable-boolean": s.astype("boolean"),
    }[form]
    frames["contacts"]["complaint"] = new
    check(frames, reference)


@pytest.mark.parametrize("form", ["int64", "int8", "float", "strings", "nullable-Int64", "objects"])
def test_impression_forms(tables_str, reference, form):
    frames = fresh(tables_str)
    s = frames["contacts"]["impression"]
    new = {
        "int64": s,
        "int8": s.astype(np.int8),
        "float": s.astype(np.float64),
        "strings": s.astype(str),
        "nullable-Int64": s.astype("Int64"),
        "objects": s.astype(object),
    }[form]
    frames["contacts"]["impression"] = new
    check(frames, reference)


@pytest.mark.parametrize("form", ["float64", "csv-text", "objects", "decimals"])
def test_amount_forms(base_dir, tables_str, reference, form):
    frames = fresh(tables_str)
    text = pd.read_csv(base_dir / "purchases.csv", dtype=str)["amount"]
    new = {
        "float64": frames["purchases"]["amount"],
        "csv-text": text,
        "objects": frames["purchases"]["amount"].astype(object),
        "decimals": text.map(decimal.Decimal),
    }[form]
    frames["purchases"]["amount"] = new
    check(frames, reference)


def test_integer_amounts():
    customers = pd.DataFrame({"customer_id": ["a"], "acquired_on": ["2024-01-01"]})
    as_int = pd.DataFrame({"customer_id": ["a", "a"], "at": ["2024-01-02", "2024-02-03"], "amount": [10, 20]})
    as_text = as_int.assign(amount=["10", "20"])
    b1 = rapport.load(customers, purchases=as_int, strict=True)
    b2 = rapport.load(customers, purchases=as_text, strict=True)
    assert b1.to_frames()["purchases"]["amount"].tolist() == b2.to_frames()["purchases"]["amount"].tolist() == [10.0, 20.0]


# ---------------------------------------------------------------- keys, enums, containers


@pytest.mark.parametrize("form", ["categorical", "string-dtype"])
def test_text_forms(tables_str, reference, form):
    frames = fresh(tables_str)
    for t, cols in {"customers": ["customer_id", "segment"],
                    "contacts": ["customer_id", "channel", "stage", "initiator", "aspect"],
                    "purchases": ["customer_id"], "referrals": ["referrer_id", "referred_id"]}.items():
        for c in cols:
            frames[t][c] = frames[t][c].astype("category" if form == "categorical" else "string")
    check(frames, reference)


def test_integer_ids():
    customers = pd.DataFrame({"customer_id": [1, 2], "acquired_on": ["2024-01-01", "2024-01-05"]})
    purchases = pd.DataFrame({"customer_id": [1, 2, 2], "at": ["2024-01-02", "2024-01-06", "2024-02-01"],
                              "amount": [1.0, 2.0, 3.0]})
    referrals = pd.DataFrame({"referrer_id": [1], "referred_id": ["2"], "at": ["2024-01-04"]})
    base = rapport.load(customers, purchases=purchases, referrals=referrals, strict=True)
    f = base.to_frames()
    assert f["customers"]["customer_id"].tolist() == ["1", "2"]
    assert f["purchases"]["customer_id"].tolist() == ["1", "2", "2"]
    assert f["referrals"][["referrer_id", "referred_id"]].values.tolist() == [["1", "2"]]


def test_extra_columns_and_order_ignored(tables_str, reference):
    frames = fresh(tables_str)
    frames["contacts"] = frames["contacts"][list(reversed(frames["contacts"].columns))].assign(note="x")
    frames["customers"]["extra"] = 1.5
    check(frames, reference)


def test_segment_optional_and_missing(tables_str):
    frames = fresh(tables_str)
    frames["customers"] = frames["customers"].drop(columns="segment")
    assert rapport.load(**frames).segments == [""]
    frames = fresh(tables_str)
    frames["customers"]["segment"] = None
    assert rapport.load(**frames).segments == [""]


def test_mapping_input(tables_str, reference):
    frames = {t: {c: df[c].to_numpy() for c in df.columns} for t, df in fresh(tables_str).items()}
    check(frames, reference)


def test_optional_tables():
    customers = pd.DataFrame({"customer_id": ["a", "b"], "acquired_on": [dt.date(2024, 1, 1), dt.date(2024, 2, 1)]})
    base = rapport.load(customers)
    assert (base.customers, base.contacts, base.purchases, base.referrals) == (2, 0, 0, 0)
    assert base.default_as_of == dt.date(2024, 2, 1)


def test_odd_time_values_rejected():
    customers = pd.DataFrame({"customer_id": ["a"], "acquired_on": ["2024-01-01"]})
    purchases = pd.DataFrame({"customer_id": ["a"] * 5,
                              "at": pd.Series(["2024-01-02", 1700000000, 2.5, object(), "2024-01-03T25:00:00"],
                                              dtype=object),
                              "amount": [1.0] * 5})
    with pytest.warns(rapport.RejectedRowsWarning):
        base = rapport.load(customers, purchases=purchases)
    assert base.purchases == 1
    reasons = [(r["row"], r["column"], r["reason"]) for r in base.rejects]
    assert [r[0] for r in reasons] == [1, 2, 3, 4]
    assert all(c == "at" for _, c, _ in reasons)
    assert "a number is not a time" in reasons[0][2] and "impossible timestamp" in reasons[3][2]


def test_empty_tables():
    customers = pd.DataFrame({"customer_id": ["a"], "acquired_on": ["2024-01-01"]})
    contacts = pd.DataFrame(columns=["customer_id", "at", "channel", "stage", "initiator", "aspect", "impression",
                                     "complaint", "resolved_at"])
    base = rapport.load(customers, contacts=contacts, strict=True)
    assert base.contacts == 0 and base.rows["contacts"]["read"] == 0
