#!/usr/bin/env bash
# End-to-end scale run: `rapport generate` then `rapport score` at several sizes, reporting wall
# time and peak RSS of each step. Usage: scripts/scale.sh [SIZES...] (default: 1000000 3000000 10000000)
# Needs ~1.4 GB of disk per million customers under ${RAPPORT_SCALE_DIR:-/tmp/rapport-scale}.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${RAPPORT_CLI:-build-release/tools/cli/rapport}
[[ -x $cli ]] || { cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null && cmake --build build-release --target rapport_cli; }
root=${RAPPORT_SCALE_DIR:-/tmp/rapport-scale}
sizes=("$@")
((${#sizes[@]})) || sizes=(1000000 3000000 10000000)
printf "| customers | contacts | CSV bytes | generate s | generate RSS MiB | score s (load / score / total) | score peak RSS MiB | bytes/contact+customer budget MiB |\n"
printf "|---|---|---|---|---|---|---|---|\n"
for n in "${sizes[@]}"; do
  d=$root/$n
  rm -rf "$d"
  g=$( { /usr/bin/time -f "%e %M" "$cli" generate "$d" --customers "$n" --seed 1 --contact-rate 2 >/dev/null; } 2>&1 | tail -1)
  contacts=$(($(wc -l < "$d/contacts.csv") - 1))
  bytes=$(du -cb "$d"/*.csv | tail -1 | cut -f1)
  out=$( { /usr/bin/time -f "%e %M" "$cli" score "$d" --out "$d/scores.csv" --summary "$d/summary.json"; } 2>&1)
  phases=$(echo "$out" | grep -o 'loaded in [0-9.]* s, scored [0-9]* customers in [0-9.]* s' | awk '{print $3" / "$9}')
  s=$(echo "$out" | tail -1)
  budget=$(( (40 * contacts + 200 * n) / 1048576 ))
  printf "| %s | %s | %s | %s | %s | %s / %s | %s | %s |\n" "$n" "$contacts" "$bytes" "${g% *}" "$(( ${g#* } / 1024 ))" \
    "$phases" "${s% *}" "$(( ${s#* } / 1024 ))" "$budget"
  rm -rf "$d"
done
