"""The public API: names, stubs matching the signatures, docstrings."""

import ast
import inspect
import pathlib

import rapport

PACKAGE = pathlib.Path(rapport.__file__).parent


def stub_signatures():
    tree = ast.parse((PACKAGE / "__init__.pyi").read_text())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            a = node.args
            out[node.name] = [x.arg for x in a.posonlyargs + a.args] + ["*"] + [x.arg for x in a.kwonlyargs]
        elif isinstance(node, ast.ClassDef):
            out[node.name] = "class"
        elif isinstance(node, ast.ImportFrom):
            for n in node.names:
                out[n.asname or n.name] = "import"
    return out


def test_package_files():
    for name in ("__init__.py", "__init__.pyi", "_rapport.pyi", "py.typed"):
        assert (PACKAGE / name).exists(), name
    assert rapport.__version__.count(".") == 2


def test_stubs_match_signatures():
    stubs = stub_signatures()
    for name in rapport.__all__:
        assert name in stubs, name
        obj = getattr(rapport, name)
        if inspect.isfunction(obj):
            params = inspect.signature(obj).parameters.values()
            names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)] + ["*"]
            names += [p.name for p in params if p.kind == p.KEYWORD_ONLY]
            assert names == stubs[name], name


def test_numpy_style_docstrings():
    for name in rapport.__all__:
        obj = getattr(rapport, name)
        if inspect.isfunction(obj):
            doc = inspect.getdoc(obj)
            assert doc and "Parameters\n----------" in doc and "Returns\n-------" in doc, name
    for cls in (rapport.CustomerBase, rapport.ScoringConfig, rapport.DataError, rapport.InputError,
                rapport.FitError, rapport.Result):
        assert inspect.getdoc(cls), cls
    assert "Returns" in inspect.getdoc(rapport.CustomerBase.to_frames)


def test_exception_hierarchy():
    assert issubclass(rapport.InputError, ValueError)
    assert issubclass(rapport.DataError, rapport.InputError)
    assert issubclass(rapport.FitError, RuntimeError)
    assert issubclass(rapport.RejectedRowsWarning, UserWarning)


def test_constants():
    assert rapport.SCORE_COLUMNS[0] == "customer_id" and rapport.SCORE_COLUMNS[-1] == "katz"
    assert rapport.CHANNELS == ["visit", "phone", "email", "mail", "online", "service_call", "event", "other"]
    assert rapport.STAGES == ["welcome", "discovery", "presentation", "closing", "service"]
    assert rapport.LOYALTY_COMPONENTS == ("continuity", "follow_through", "impression", "recovery", "service_ladder")
