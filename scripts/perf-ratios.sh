#!/usr/bin/env bash
# The README's performance ratios, each measured in one run (rapport and its yardstick back to
# back, best of several runs), so that they hold on a busy or a different machine:
#   1. in-memory scoring at 1M customers over a two-thread read of the contact bytes
#      (BM_ScoreVsMemoryFloor in bm_score);
#   2. the whole `rapport score` process on the CSV files (2 threads, scores and summary written,
#      streamed: see docs/performance.md) over `wc -l` on the same files, its load's share, and its
#      peak RSS over the loaded base's;
#   3. the BG/NBD fit over lifetimes' on 1M real-valued customers (needs lifetimes and autograd
#      on PYTHONPATH: they are not in Debian, see benchmarks/peers/README.md);
#   4. `rapport graph pagerank` as a whole process over igraph's PRPACK call alone (needs the
#      soc-Epinions1 edge list, see benchmarks/peers/README.md);
#   5. `rapport score --db sqlite:` on a 300,000-customer base over the same base from its CSV
#      files (whole processes, the same scores written; wall and CPU seconds); the same from
#      PostgreSQL when RAPPORT_TEST_PG_URI is set (the server's CPU not counted).
# Usage: scripts/perf-ratios.sh [--build DIR] [--base DIR] [--db-base DIR] [--epinions FILE] [--repeats N]
#                               [--parts LIST]
#   --build DIR     a Release build with benchmarks (default build-test, as scripts/test.sh makes)
#   --base DIR      a 1M-customer base (default: generated into /tmp/rapport-perf-1m once)
#   --db-base DIR   a 300,000-customer base and its base.db (default: generated and imported into
#                   /tmp/rapport-perf-300k once)
#   --epinions FILE soc-Epinions1.txt (part 4 is skipped without it)
#   --parts LIST    the parts to run, comma-separated (default 1,2,3,4,5)
# Part 3 runs when `import lifetimes` works for /usr/bin/python3 (PYTHONPATH as in
# benchmarks/peers/README.md); rapport's side is the build's bm_value BM_FitBgNbdReal.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-test base=/tmp/rapport-perf-1m db_base=/tmp/rapport-perf-300k epinions="" repeats=3 parts=1,2,3,4,5
while (($#)); do
  case $1 in
    --build) build=$2; shift 2 ;;
    --base) base=$2; shift 2 ;;
    --db-base) db_base=$2; shift 2 ;;
    --epinions) epinions=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --parts) parts=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
cli=$build/tools/cli/rapport
part() { [[ ,$parts, == *,$1,* ]]; }  # whether part $1 is asked for
[[ -x $cli ]] && { ! part 1 || [[ -x $build/benchmarks/bm_score ]]; } ||
  { echo "build $build first (scripts/test.sh)" >&2; exit 2; }

if part 1; then
echo "== 1. in-memory scoring over the memory floor (1M customers)"
"$build/benchmarks/bm_score" --benchmark_filter='^BM_ScoreVsMemoryFloor/1000000/' --benchmark_repetitions="$repeats" \
  2>/dev/null | grep -E '^BM_ScoreVsMemoryFloor' | grep -vE '_(stddev|cv)' || true
fi

if part 2; then
echo "== 2. rapport score (whole process, 2 threads: CSV in, scores + summary out) over wc -l, peak RSS"
[[ -f $base/contacts.csv ]] || "$cli" generate "$base" --customers 1000000 >/dev/null
best() { sort -n | head -1; }
wc -l "$base"/*.csv >/dev/null  # the files in the page cache before anything is timed
out=$(mktemp -d)
# each round times wc -l and rapport back to back; the best of each is kept. rapport's own report
# line ("loaded in A s, scored ... in B s, wrote the outputs in C s") gives the load's share.
rounds=$(for _ in $(seq "$repeats"); do
  w=$(/usr/bin/time -f %e wc -l "$base"/*.csv 2>&1 >/dev/null | tail -1)
  r=$(/usr/bin/time -f "%e %M %U %S" "$cli" score "$base" --out "$out/scores.csv" --summary "$out/summary.json" \
    --threads 2 2>&1 >/dev/null | grep -E '^(loaded in|[0-9.]+ [0-9]+ )' | tr '\n' ' ')
  echo "$w $r"
done)
rm -rf "$out"
# a round: wc_s "loaded in" load_s "s, scored" N "customers in" score_s "s, wrote the outputs in" write_s "s" wall rss user sys
echo "$rounds" | awk -v b="$(du -cb "$base"/*.csv | tail -1 | cut -f1)" '
  { w = $1; load = $4; wall = $(NF - 3); rss = $(NF - 2); cpu = $(NF - 1) + $NF
    bw = (NR == 1 || w < bw) ? w : bw; bs = (NR == 1 || wall < bs) ? wall : bs; bl = (NR == 1 || load < bl) ? load : bl
    br = (NR == 1 || rss < br) ? rss : br; bc = (NR == 1 || cpu < bc) ? cpu : bc }
  END { printf "CSV %.2f GB; wc -l %.3f s; rapport score %.3f s = %.1fx wc -l (load %.3f s; %.2f s CPU); peak RSS %.0f MiB\n",
    b / 1e9, bw, bs, bs / bw, bl, bc, br / 1024 }'
rss_mb=$(echo "$rounds" | awk '{print $(NF - 2)}' | best)
# The loaded base: the resident memory of the CLI before it reads anything (`rapport --version`)
# plus what loading the base adds to a process (the Python bindings' load_dir: the same loader).
if PYTHONPATH=$build/bindings /usr/bin/python3 -c 'import rapport' 2>/dev/null; then
  start_kb=$(/usr/bin/time -f %M "$cli" --version 2>&1 >/dev/null | tail -1)
  load_kb=$(PYTHONPATH=$build/bindings /usr/bin/python3 - "$base" <<'PY'
import sys, rapport
def rss_kb():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
before = rss_kb()
base = rapport.load_dir(sys.argv[1])
print(rss_kb() - before)
PY
)
  awk -v r="$rss_mb" -v s="$start_kb" -v l="$load_kb" 'BEGIN {
    printf "loaded base %.0f MiB (start %.0f + load %.0f); peak RSS / loaded base = %.2fx\n", (s + l) / 1024, s / 1024,
      l / 1024, r / (s + l) }'
else
  echo "loaded base: skipped (the Python bindings of $build do not import)"
fi
fi

if part 3; then
echo "== 3. BG/NBD fit over lifetimes (1M real-valued customers)"
if /usr/bin/python3 -c 'import lifetimes' 2>/dev/null; then
  /usr/bin/python3 benchmarks/peers/bgnbd_peers.py --bench "$build/benchmarks/bm_value" --repeats "$repeats"
else
  echo "skipped: lifetimes is not importable (see benchmarks/peers/README.md)"
fi
fi

if part 4; then
echo "== 4. rapport graph pagerank (whole process) over igraph PRPACK (call alone)"
if [[ -n $epinions ]]; then
  OMP_NUM_THREADS=1 /usr/bin/python3 benchmarks/peers/pagerank_peers.py "$epinions" --rapport-cli "$cli" \
    --whole-process --skip-networkx --repeats "$((repeats * 3))"
else
  echo "skipped: pass --epinions soc-Epinions1.txt"
fi
fi

if part 5; then
echo "== 5. rapport score --db sqlite: (and PostgreSQL) over the same base from CSV (300,000 customers)"
[[ -f $db_base/contacts.csv ]] || "$cli" generate "$db_base" --customers 300000 >/dev/null
[[ -f $db_base/base.db ]] || "$cli" import "$db_base" --db "sqlite:$db_base/base.db" >/dev/null
# PostgreSQL when RAPPORT_TEST_PG_URI names a server (scripts/pg-throwaway.sh): the base imported
# into perf300k_* tables once (import refuses tables that hold rows: then they are there already)
pg_uri=${RAPPORT_TEST_PG_URI:-}
pg_tables=customers=perf300k_customers,contacts=perf300k_contacts,purchases=perf300k_purchases,referrals=perf300k_referrals
[[ -z $pg_uri ]] || "$cli" import "$db_base" --db "$pg_uri" --tables "$pg_tables" >/dev/null 2>&1 || true
out=$(mktemp -d)
cat "$db_base"/*.csv "$db_base/base.db" >/dev/null  # both in the page cache before anything is timed
# each round times the CSV run, the SQLite run and the PostgreSQL run back to back; the best of
# each is kept
rounds=$(for _ in $(seq "$repeats"); do
  csv=$(/usr/bin/time -f "%e %U %S" "$cli" score "$db_base" --out "$out/csv.csv" --quiet 2>&1 | tail -1)
  db=$(/usr/bin/time -f "%e %U %S" "$cli" score --db "sqlite:$db_base/base.db" --out "$out/db.csv" --quiet 2>&1 |
    tail -1)
  pg="0 0 0"
  [[ -z $pg_uri ]] || pg=$(/usr/bin/time -f "%e %U %S" "$cli" score --db "$pg_uri" --tables "$pg_tables" \
    --out "$out/pg.csv" --quiet 2>&1 | tail -1)
  echo "$csv $db $pg"
done)
cmp -s "$out/csv.csv" "$out/db.csv" || { echo "the scores from SQLite differ from those from CSV" >&2; exit 1; }
[[ -z $pg_uri ]] || cmp -s "$out/csv.csv" "$out/pg.csv" ||
  { echo "the scores from PostgreSQL differ from those from CSV" >&2; exit 1; }
rm -rf "$out"
echo "$rounds" | awk '
  { cw = (NR == 1 || $1 < cw) ? $1 : cw; cc = (NR == 1 || $2 + $3 < cc) ? $2 + $3 : cc
    dw = (NR == 1 || $4 < dw) ? $4 : dw; dc = (NR == 1 || $5 + $6 < dc) ? $5 + $6 : dc
    pw = (NR == 1 || $7 < pw) ? $7 : pw; pc = (NR == 1 || $8 + $9 < pc) ? $8 + $9 : pc }
  END { printf "CSV %.2f s (%.2f s CPU); SQLite %.2f s (%.2f s CPU) = %.1fx wall, %.1fx CPU\n", cw, cc, dw, dc, dw / cw, dc / cc
        if (pw > 0) printf "PostgreSQL %.2f s (%.2f s CPU, rapport only) = %.1fx wall, %.1fx CPU\n", pw, pc, pw / cw, pc / cc }'
fi
