#!/usr/bin/env bash
# Builds everything (library, CLI, Python bindings, benchmarks, tests) with warnings as errors and
# runs every test: C++ unit tests, the installed-package consumer, the Python suite, the
# reference cross-check. Usage: scripts/test.sh [extra cmake -D options]
# Configured as the `release` preset of CMakePresets.json (build-test, Release, -Werror).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
build=${RAPPORT_BUILD_DIR:-build-test}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=${RAPPORT_BUILD_TYPE:-Release} \
      -DRAPPORT_WARNINGS=ON -DRAPPORT_WERROR=ON -DRAPPORT_REQUIRE_BROWSER=ON "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 900
# The Python package for Debian's python3 (so `/usr/bin/python3 -c "import rapport"` works), with pip.
if grep -q "RAPPORT_BUILD_PYTHON:BOOL=ON" "$build/CMakeCache.txt"; then
  scripts/install-python.sh
fi
