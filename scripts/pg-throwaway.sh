#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the database tests: initdb in a temporary folder (as the
# `postgres` user when run as root, else as the current user), Unix socket only (no TCP), trust
# authentication for the local socket, fsync off.
#   scripts/pg-throwaway.sh start        prints the connection URI (export it as RAPPORT_TEST_PG_URI)
#   scripts/pg-throwaway.sh stop URI|DIR stops the cluster and removes its folder
set -euo pipefail
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [[ -z "$bindir" || ! -x "$bindir/initdb" ]]; then bindir=$(dirname "$(command -v initdb)"); fi
as=()
if [[ $(id -u) -eq 0 ]]; then as=(runuser -u postgres --); fi

case "${1:-}" in
  start)
    dir=$(mktemp -d /tmp/rapport-pg.XXXXXX)
    chmod 755 "$dir"
    if [[ $(id -u) -eq 0 ]]; then chown postgres "$dir"; fi
    # a failed start leaves nothing behind: the server (if it came up) stopped, the folder removed
    trap '"${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true; rm -rf "$dir"' ERR
    "${as[@]}" "$bindir/initdb" -D "$dir/data" -U rapport -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1
    "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off" \
      start >/dev/null
    "${as[@]}" "$bindir/createdb" -h "$dir" -U rapport rapport
    trap - ERR
    echo "postgresql:///rapport?host=$dir&user=rapport"
    ;;
  stop)
    arg=${2:?usage: pg-throwaway.sh stop URI|DIR}
    dir=${arg#*host=}
    dir=${dir%%&*}
    [[ -d "$dir/data" ]] || { echo "pg-throwaway: no cluster in $dir" >&2; exit 1; }
    "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start | stop URI|DIR" >&2
    exit 2
    ;;
esac
