"""Every kind of rapport::Error arrives as its own class: a rapport.Error and the built-in it always was."""

import numpy as np
import pytest

import rapport

# class -> the built-in it is (as before rapport.Error existed: InputError and ConfigError were
# ValueErrors, FitError a RuntimeError, an OutputError arrived as a plain RuntimeError, an unknown
# customer in Scorer.explain as an IndexError, a C++ invalid_argument as a ValueError)
KINDS = {
    rapport.InputError: ValueError,
    rapport.ConfigError: ValueError,
    rapport.FitError: RuntimeError,
    rapport.OutputError: RuntimeError,
    rapport.UsageError: ValueError,
    rapport.NotFoundError: IndexError,
    rapport.InternalError: RuntimeError,
}


def test_hierarchy():
    assert issubclass(rapport.Error, Exception) and not issubclass(rapport.Error, (ValueError, RuntimeError))
    for cls, builtin in KINDS.items():
        assert issubclass(cls, rapport.Error) and issubclass(cls, builtin), cls
        assert cls.__doc__ and cls.__name__ in dir(rapport) and cls.__name__ in rapport.__all__
    assert issubclass(rapport.DataError, rapport.InputError) and issubclass(rapport.DataError, rapport.Error)
    assert "Error" in rapport.__all__


@pytest.fixture(scope="module")
def base():
    return rapport.generate(60, seed=5)


def _raises(cls, match, f, *args, **kwargs):
    with pytest.raises(rapport.Error, match=match) as info:
        f(*args, **kwargs)
    assert type(info.value) is cls, type(info.value)
    assert isinstance(info.value, KINDS[cls])
    return info.value


def test_each_kind_arrives_as_its_class(base, tmp_path):
    _raises(rapport.InputError, "customers", rapport.score_dir, tmp_path)  # no customers.csv there
    _raises(rapport.ConfigError, "period_days", rapport.ScoringConfig, period_days=0)
    zeros = np.zeros(50)
    _raises(rapport.FitError, "", rapport.fit_bgnbd, zeros, zeros, np.full(50, 100.0))  # no repeat buyer
    _raises(rapport.OutputError, "a directory", rapport.report, base, out=tmp_path)
    _raises(rapport.UsageError, "differ in length", rapport.fit_gamma_gamma, [1.0, 2.0], [1.0])
    # 0 -> 1 -> 0: spectral radius 1, so beta = 1.5 diverges (a setting outside its domain)
    _raises(rapport.ConfigError, "diverges", rapport.katz_reach, [0, 1], [1, 0], beta=1.5)
    _raises(rapport.NotFoundError, "nobody", rapport.Scorer(base).explain, "nobody")


def test_one_except_catches_every_kind(base):
    caught = []
    for f in (lambda: rapport.ScoringConfig(period_days=0), lambda: rapport.Scorer(base).explain("nobody"),
              lambda: rapport.fit_gamma_gamma([1.0], [1.0, 2.0])):
        try:
            f()
        except rapport.Error as e:
            caught.append(type(e).__name__)
    assert caught == ["ConfigError", "NotFoundError", "UsageError"]
