"""One set of row rules: the same bad rows give the same rejects from CSV files and from DataFrames.

Regression (issue 15): the DataFrame path reported a row's conversion errors before the rules the
CSV path checks first, so a contact of an unknown customer with a bad `at`, or one with an
impression out of range and a bad complaint flag, got another reason than from contacts.csv.
"""

import warnings

import pandas as pd

import rapport

CUSTOMERS = "customer_id,acquired_on\na,2024-01-01\n,2024-02-30\na,2024-01-02\n"
CONTACTS = (
    "customer_id,at,channel,stage,initiator,aspect,impression,complaint,resolved_at\n"
    "z,2024-03-01T10:00,visit,welcome,business,technical,1,false,\n"   # unknown customer, bad at
    "a,2024-03-01,fax,welcome,business,technical,7,yes,\n"             # channel first
    "a,2024-03-01,visit,welcome,business,technical,7,yes,\n"           # impression before complaint
    "a,2024-03-05,visit,welcome,business,technical,1,true,2024-03-04\n"  # resolved before at
    "a,2024-03-05,visit,welcome,business,technical,1,maybe,2024-03-04\n"  # complaint flag
)
PURCHASES = "customer_id,at,amount\nz,2024-03-01,-1\na,bad,-1\na,2024-03-01,-1\n"
REFERRALS = "referrer_id,referred_id,at\na,a,bad\n,,bad\na,b,bad\n"

# (table, data row, column, reason) in the card's rule order
EXPECTED = [
    ("customers", 1, "customer_id", "empty customer_id"),
    ("customers", 2, "customer_id", "duplicate customer_id (first row wins)"),
    ("contacts", 0, "customer_id", "unknown customer"),
    ("contacts", 1, "channel", "unknown channel 'fax'"),
    ("contacts", 2, "impression", "impression out of range -2..2"),
    ("contacts", 3, "resolved_at", "complaint resolved before it was made"),
    ("contacts", 4, "complaint", "complaint flag not one of true/false/1/0"),
    ("purchases", 0, "customer_id", "unknown customer"),
    ("purchases", 1, "at", "unparsable timestamp (expected YYYY-MM-DD[THH:MM:SS[Z]])"),
    ("purchases", 2, "amount", "negative amount"),
    ("referrals", 0, "referred_id", "self-referral"),
    ("referrals", 1, "referrer_id", "empty referrer_id"),
    ("referrals", 2, "at", "unparsable timestamp (expected YYYY-MM-DD[THH:MM:SS[Z]])"),
]


def _rejects(base):
    return [(r["table"], r["row"] if r["row"] is not None else r["line"] - 2, r["column"], r["reason"])
            for r in base.rejects]


def test_csv_and_dataframes_reject_alike(tmp_path):
    texts = {"customers": CUSTOMERS, "contacts": CONTACTS, "purchases": PURCHASES, "referrals": REFERRALS}
    for name, text in texts.items():
        (tmp_path / f"{name}.csv").write_text(text)
    frames = {name: pd.read_csv(tmp_path / f"{name}.csv", dtype=str, keep_default_na=False) for name in texts}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rapport.RejectedRowsWarning)
        from_csv = rapport.load_dir(tmp_path)
        from_frames = rapport.load(**frames)
    assert _rejects(from_csv) == EXPECTED
    assert _rejects(from_frames) == EXPECTED
    assert from_csv.rows == from_frames.rows
