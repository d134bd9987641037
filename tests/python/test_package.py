"""The package's layout: __init__.py only re-exports, the generated stub matches the modules."""

import ast
import importlib.util
import inspect
import pathlib
import pickle

import rapport

PACKAGE = pathlib.Path(rapport.__file__).parent
REPO = pathlib.Path(__file__).resolve().parents[2]


def _make_stub():
    spec = importlib.util.spec_from_file_location("make_stub", REPO / "bindings" / "make_stub.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_stub


def _stub_functions():
    """name -> FunctionDef of the stub, methods as Class.name."""
    out = {}
    for node in ast.parse((PACKAGE / "__init__.pyi").read_text()).body:
        if isinstance(node, ast.FunctionDef):
            out[node.name] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not item.decorator_list:
                    out[f"{node.name}.{item.name}"] = item
    return out


def _normal(annotation):
    """An annotation as text, spelled one way (the modules use postponed annotations: strings)."""
    if annotation is inspect.Parameter.empty or annotation is inspect.Signature.empty:
        return None
    return ast.unparse(ast.parse(annotation if isinstance(annotation, str) else annotation.__name__, mode="eval"))


def test_init_only_reexports():
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    defined = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    assert defined == ["__getattr__"]  # the lazy import of rapport.plot and rapport.dask
    for name in rapport.__all__:
        if name not in ("plot", "dask"):
            assert name in {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names}


def test_stub_is_generated_from_the_shipped_modules():
    assert (PACKAGE / "__init__.pyi").read_text() == _make_stub()(PACKAGE)


def test_stub_annotations_match_the_runtime():
    stubs = _stub_functions()
    checked = 0
    for name in rapport.__all__:
        obj = getattr(rapport, name)
        targets = [(name, obj)] if inspect.isfunction(obj) else []
        if inspect.isclass(obj) and not obj.__module__.endswith("_rapport"):
            targets += [(f"{name}.{k}", v) for k, v in vars(obj).items() if inspect.isfunction(v)]
        for key, fn in targets:
            if key not in stubs:
                assert key.rsplit(".", 1)[-1].startswith("_"), key  # only private methods are left out
                continue
            stub = stubs[key]
            args = stub.args
            stub_params = {a.arg: _normal(ast.unparse(a.annotation)) if a.annotation else None
                           for a in args.posonlyargs + args.args + args.kwonlyargs}
            sig = inspect.signature(fn)
            assert stub_params == {p.name: _normal(p.annotation) for p in sig.parameters.values()}, key
            assert (_normal(ast.unparse(stub.returns)) if stub.returns else None) == _normal(sig.return_annotation), key
            checked += 1
    assert checked >= 29  # 19 functions, 10 methods of DataError and Scorer


def test_public_names_read_rapport():
    for name in ("score", "Scorer", "Result", "DataError", "fit_bgnbd", "pagerank", "history", "load_db"):
        assert getattr(rapport, name).__module__ == "rapport", name
    e = pickle.loads(pickle.dumps(rapport.DataError("x", [{"table": "customers"}])))
    assert type(e) is rapport.DataError and e.rejects == [{"table": "customers"}]
