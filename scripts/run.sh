#!/usr/bin/env bash
# The main job: install what is missing, build the rapport CLI, score the bundled sample base.
# Extra arguments go to `rapport score` (e.g. scripts/run.sh --out scores.csv --summary s.json).
# It also writes the visual report of the sample (build-release/sample-report.html) and prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DRAPPORT_BUILD_TESTS=OFF \
      -DRAPPORT_BUILD_BENCHMARKS=OFF -DRAPPORT_BUILD_PYTHON=OFF >/dev/null
cmake --build build-release --target rapport_cli -j"$(nproc)"
build-release/tools/cli/rapport score --report build-release/sample-report.html "$@"
