"""Shared fixtures of the rapport Python tests.

Environment (set by the ctest registration in bindings/CMakeLists.txt):
RAPPORT_CLI          the `rapport` command-line tool (CLI comparisons are skipped without it)
RAPPORT_TEST_DATA    the test data directory (default: <repo>/tests/data)
PYTHONPATH           must reach the built `rapport` package (<build>/bindings)
"""

import os
import pathlib
import subprocess

import pandas as pd
import pytest

import rapport

REPO = pathlib.Path(__file__).resolve().parents[2]
ID_COLUMNS = {"customer_id": str, "referrer_id": str, "referred_id": str}
TABLES = ("customers", "contacts", "purchases", "referrals")


def data_dir() -> pathlib.Path:
    """The public data sets the tests read (tests/data/README.md lists each file's source)."""
    return pathlib.Path(os.environ.get("RAPPORT_TEST_DATA", REPO / "tests" / "data"))


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("RAPPORT_CLI")
    if not path or not os.access(path, os.X_OK):
        pytest.skip("RAPPORT_CLI is not set to the rapport command-line tool")
    return path


@pytest.fixture(scope="session")
def base_dir(tmp_path_factory):
    """A generated base of 500 customers (seed 3) as CSV files, written by the CLI when
    available (else by rapport.generate_csv, which is the same generator)."""
    d = tmp_path_factory.mktemp("base500")
    path = os.environ.get("RAPPORT_CLI")
    if path and os.access(path, os.X_OK):
        subprocess.run([path, "generate", str(d), "--customers", "500", "--seed", "3"], check=True,
                       capture_output=True)
    else:
        rapport.generate_csv(d, 500, seed=3)
    return d


def read_tables(d, parse_times: bool):
    """The four CSV files as DataFrames: times left as ISO strings, or parsed to datetime64."""
    frames = {t: pd.read_csv(d / f"{t}.csv", dtype=ID_COLUMNS) for t in TABLES}
    if parse_times:
        frames["customers"]["acquired_on"] = pd.to_datetime(frames["customers"]["acquired_on"], format="%Y-%m-%d")
        for t in ("contacts", "purchases", "referrals"):
            frames[t]["at"] = pd.to_datetime(frames[t]["at"], utc=True).dt.tz_localize(None)
        frames["contacts"]["resolved_at"] = pd.to_datetime(frames["contacts"]["resolved_at"], utc=True)
    return frames


@pytest.fixture(scope="session")
def tables_str(base_dir):
    return read_tables(base_dir, parse_times=False)


@pytest.fixture(scope="session")
def tables_dt(base_dir):
    return read_tables(base_dir, parse_times=True)


@pytest.fixture(scope="session")
def reference(base_dir):
    """rapport.score_dir of the generated base (the reference for the DataFrame forms)."""
    return rapport.score_dir(base_dir)


def fresh(frames):
    """Deep copies of the tables, for tests that modify them."""
    return {k: v.copy(deep=True) for k, v in frames.items()}
