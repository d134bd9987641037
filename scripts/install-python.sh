#!/usr/bin/env bash
# Installs the rapport Python package for Debian's /usr/bin/python3 (into /usr/local's
# dist-packages), building it first when needed. Usage: scripts/install-python.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-release}
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  scripts/deps.sh
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRAPPORT_BUILD_TESTS=OFF -DRAPPORT_BUILD_BENCHMARKS=OFF >/dev/null
fi
cmake --build "$build" --target _rapport -j"$(nproc)"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
$SUDO cmake --install "$build" --component python --prefix /usr/local >/dev/null
(cd / && /usr/bin/python3 -c "import rapport; print('rapport', rapport.__version__ if hasattr(rapport, '__version__') else '', 'installed at', rapport.__file__)")
