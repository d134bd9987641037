#!/usr/bin/env bash
# Builds everything (library, CLI, Python bindings, benchmarks, tests) with warnings as errors and
# runs every test: C++ unit tests, the installed-package consumer, the Python suite, the
# reference cross-check, the PostgreSQL tests (against RAPPORT_TEST_PG_URI, or a throwaway server
# started here). Usage: scripts/test.sh [extra cmake -D options]
# Configured as the `release` preset of CMakePresets.json (build-test, Release, -Werror).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
# The PostgreSQL tests need a server (RAPPORT_TEST_PG_URI). None given: a throwaway cluster is
# started here (the server installed when missing) and stopped at exit, also on failure or Ctrl-C,
# so that nothing is skipped. Only when no server can be installed are those tests skipped.
pg_started=""
if [[ -z "${RAPPORT_TEST_PG_URI:-}" ]]; then
  if scripts/deps.sh --pg; then
    trap '[[ -z "$pg_started" ]] || scripts/pg-throwaway.sh stop "$pg_started"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP
    pg_started=$(scripts/pg-throwaway.sh start)  # a failed start removes its own cluster and stops here
    export RAPPORT_TEST_PG_URI=$pg_started
    echo "rapport: PostgreSQL tests against a throwaway cluster ($pg_started)"
  else
    echo "rapport: no PostgreSQL server could be installed: the PostgreSQL tests will be skipped" >&2
  fi
fi
build=${RAPPORT_BUILD_DIR:-build-test}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=${RAPPORT_BUILD_TYPE:-Release} \
      -DRAPPORT_WARNINGS=ON -DRAPPORT_WERROR=ON -DRAPPORT_REQUIRE_BROWSER=ON "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 900
# The Python package for Debian's python3 (so `/usr/bin/python3 -c "import rapport"` works), with pip.
if grep -q "RAPPORT_BUILD_PYTHON:BOOL=ON" "$build/CMakeCache.txt"; then
  scripts/install-python.sh
fi
