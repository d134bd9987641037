#!/usr/bin/env bash
# Installs the rapport Python package with pip (pyproject.toml; setup.py drives CMake to build the
# extension), offline, with Debian's pip and setuptools. Usage: scripts/install-python.sh [PYTHON]
#   PYTHON a virtual environment's python, or /usr/bin/python3 (the default): then into /usr/local's
#          dist-packages as root, else for the current user (--break-system-packages: Debian's
#          python refuses pip outside a virtual environment without it; nothing of Debian's is replaced)
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-/usr/bin/python3}
scripts/deps.sh
args=(--no-build-isolation)
if [[ "$("$python" -c 'import sys; print(sys.prefix == sys.base_prefix)')" == True ]]; then
  args+=(--break-system-packages)
fi
"$python" -m pip install "${args[@]}" .
(cd / && "$python" -c "import rapport; print('rapport', rapport.__version__, 'installed at', rapport.__file__)")
