#!/usr/bin/env bash
# Installs the Debian packages rapport needs, only those that are missing.
# Usage: scripts/deps.sh [--fuzz|--pg|--format]   (--fuzz adds clang for the libFuzzer target, --pg a
# PostgreSQL server, --format clang-format for the code-style check)
set -euo pipefail
pkgs=(cmake ninja-build g++ pkg-config libboost-dev libboost-date-time-dev libeigen3-dev
      libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev libcli11-dev pybind11-dev python3-dev
      python3-numpy python3-pandas python3-pytest python3-scipy
      chromium python3-websocket python3-matplotlib libsqlite3-dev libpq-dev python3-dask python3-distributed
      python3-pip python3-build python3-venv python3-setuptools python3-wheel)
if [[ "${1:-}" == "--fuzz" ]]; then pkgs+=(clang libclang-rt-14-dev); fi
if [[ "${1:-}" == "--pg" ]]; then pkgs+=(postgresql); fi  # a server for the database tests
if [[ "${1:-}" == "--format" ]]; then pkgs+=(clang-format); fi  # the code style of .clang-format
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "rapport: installing ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
