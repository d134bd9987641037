#!/usr/bin/env bash
# The Python package installs like one: `pip install --no-build-isolation .` into a fresh virtual
# environment (with the system's site packages: numpy, pandas), then `import rapport` from another
# folder scores the sample (examples/sample), equal to the build tree's package.
# Usage: python_install.sh SOURCE_DIR BUILD_TREE_PACKAGE_PARENT WORK_DIR [PYTHON]
set -euo pipefail
src=$1 built=$2 work=$3 python=${4:-/usr/bin/python3}
mkdir -p "$work"
rm -rf "$work/venv" "$work/elsewhere"
"$python" -m venv --system-site-packages "$work/venv"
# The CMake tree under WORK_DIR is kept between runs (later runs rebuild only what changed);
# PIP_NO_INDEX: offline, nothing is fetched.
(cd "$src" && env -u PYTHONPATH PIP_NO_INDEX=1 RAPPORT_CMAKE_BUILD_DIR="$work/cmake" \
   RAPPORT_PYTHON_BUILD_BASE="$work/setuptools" "$work/venv/bin/python" -m pip install -q --no-build-isolation .)
mkdir -p "$work/elsewhere"
cd "$work/elsewhere"
env -u PYTHONPATH "$work/venv/bin/python" - "$src/examples/sample" "$work/venv" "$work/installed.pkl" <<'PY'
import pathlib, sys
import rapport
sample, venv, out = sys.argv[1:4]
where = pathlib.Path(rapport.__file__).resolve()
assert pathlib.Path(venv).resolve() in where.parents, f"rapport imported from {where}, not the virtual environment"
assert (where.parent / "__init__.pyi").exists() and (where.parent / "py.typed").exists()
scores = rapport.score_dir(sample, strict=True)
customers = sum(1 for _ in open(pathlib.Path(sample) / "customers.csv")) - 1  # every sample customer is scored
assert len(scores) == customers == 1000, len(scores)
scores.to_pickle(out)
print("installed rapport", rapport.__version__, "at", where.parent, "scored", len(scores), "customers")
PY
PYTHONPATH="$built" "$python" - "$src/examples/sample" "$work/installed.pkl" <<'PY'
import sys
import pandas as pd
import rapport
sample, installed = sys.argv[1:3]
pd.testing.assert_frame_equal(pd.read_pickle(installed), rapport.score_dir(sample, strict=True), check_exact=True)
print("equal to the build tree's scores")
PY
