#!/usr/bin/env bash
# Scale by simulation, measured like COST (McSherry, Isard & Murray 2015): a generated base scored
# by the CLI with --threads W (CSV in, scores CSV out; best of two) and on a distributed
# LocalCluster of W single-threaded worker processes with a hard memory_limit (the shuffled
# pieces spill to disk) with rapport.dask (read_csv's byte ranges, score_run, DaskRun.to_csv: one
# CSV per partition by rapport's own score writer); the
# ratio of the two walls is what the cluster costs over one competent process on the same cores.
# Usage: scripts/dask-scale.sh [CUSTOMERS] [WORKERS] [MEMORY_LIMIT] [BLOCKSIZE] [PARTITIONS]
#        (default: 300000 3 512MiB 3MB; BLOCKSIZE is read_csv's byte-range size; PARTITIONS is
#        score_run's npartitions, by default the most byte ranges of any table: a partition holds
#        its rows' CSV bytes plus its CustomerBase while it is built)
# Transfers and spill are not compressed (DASK_DISTRIBUTED__COMM__COMPRESSION=None unless set: the
# workers share one machine, no network to save); set it to lz4 for dask's default.
# Needs the built Python package (build/bindings, or RAPPORT_PYTHONPATH), the CLI (build/tools/cli/
# rapport, or RAPPORT_CLI) and python3-distributed. Prints customers, partitions, workers, memory
# limit, the CLI's wall, the Dask wall (prepare / total), their ratio, bytes moved between workers
# and the peak resident memory of the busiest worker process, then the bytes the workers spilled to
# disk and read back, and where the time went (distributed's task stream over the whole Dask run,
# each task's compute and transfer seconds summed by task name). The generated base is kept under
# RAPPORT_SCALE_DIR (default /tmp/rapport-dask-scale) for the next run of the same size.
set -euo pipefail
cd "$(dirname "$0")/.."
customers=${1:-300000}
workers=${2:-3}
memory=${3:-512MiB}
blocksize=${4:-3MB}
partitions=${5:-}
root=${RAPPORT_SCALE_DIR:-/tmp/rapport-dask-scale}
pkg=${RAPPORT_PYTHONPATH:-build/bindings}
cli=${RAPPORT_CLI:-build/tools/cli/rapport}
[[ -f $pkg/rapport/dask.py ]] || cmake --build build --target _rapport
[[ -x $cli ]] || cmake --build build --target rapport_cli
cli=$(realpath "$cli")
# the generated base is kept between runs (ROOT/base, generated again only for another CUSTOMERS);
# everything else under ROOT is removed
mkdir -p "$root" && find "$root" -mindepth 1 -maxdepth 1 ! -name base ! -name base.customers -exec rm -rf {} +
# the worker processes are spawned: they re-import the main script, so it must be a file
script=$root/dask_scale.py
cat > "$script" <<'EOF'
import collections, os, subprocess, sys, time
import dask, distributed
import rapport, rapport.dask as rdask


def main():
    customers, workers, memory, blocksize, root, cli = (int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4],
                                                        sys.argv[5], sys.argv[6])
    npartitions = int(sys.argv[7]) if len(sys.argv) > 7 and sys.argv[7] else None
    data = os.path.join(root, "base")
    marker = os.path.join(root, "base.customers")
    if not (os.path.exists(marker) and open(marker).read() == str(customers)):
        t0 = time.time()
        if os.path.exists(marker):
            os.remove(marker)
        rows = rapport.generate_csv(data, customers, seed=1)
        with open(marker, "w") as f:
            f.write(str(customers))
        print(f"generated {rows} in {time.time() - t0:.1f} s", flush=True)
    tables = ("customers", "contacts", "purchases", "referrals")
    csv_bytes = sum(os.path.getsize(os.path.join(data, t + ".csv")) for t in tables if os.path.exists(os.path.join(data, t + ".csv")))
    print(f"base: {customers} customers, {csv_bytes / 2**20:.0f} MiB of CSV", flush=True)
    print(f"transfer and spill compression: {dask.config.get('distributed.comm.compression')}", flush=True)
    print(f"work stealing: {dask.config.get('distributed.scheduler.work-stealing')}", flush=True)

    # one competent process on the same cores: the CLI, CSV in, scores CSV out (best of two)
    cli_walls = []
    for _ in range(2):
        t0 = time.time()
        subprocess.run([cli, "score", data, "--threads", str(workers), "--out", os.path.join(root, "cli_scores.csv"),
                        "--quiet"], check=True, stdout=subprocess.DEVNULL)
        cli_walls.append(time.time() - t0)
    cli_wall = min(cli_walls)
    print(f"CLI --threads {workers}: {cli_wall:.2f} s (best of {cli_walls})", flush=True)

    cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit=memory,
                                       dashboard_address=None, local_directory=os.path.join(root, "spill"))
    client = distributed.Client(cluster)
    limit = next(iter(client.scheduler_info()["workers"].values()))["memory_limit"]
    try:
        with distributed.get_task_stream(client) as stream:
            t0 = time.time()
            tables = rdask.read_csv(data, blocksize=blocksize)
            run = rdask.score_run(tables["customers"], tables["contacts"], tables["purchases"], tables["referrals"],
                                  npartitions=npartitions)
            t_prep = time.time() - t0
            # written by rapport's own score writer, one CSV per partition (the CLI's spelling)
            scored = run.to_csv(os.path.join(root, "scores"))
            rejected = int(run.rejects.map_partitions(len).compute().sum())
            wall = time.time() - t0
        peak = client.run(lambda: __import__("resource").getrusage(__import__("resource").RUSAGE_SELF).ru_maxrss)
        moved = sum(client.run(lambda dask_worker: sum(e.get("total", 0) for e in dask_worker.transfer_incoming_log)).values())
        peak_mib = max(peak.values()) / 1024  # ru_maxrss is in KiB
        print(f"| customers | scored | rejected | CSV MiB | partitions | workers | memory_limit MiB | CLI --threads W wall s "
              f"| Dask wall s (prepare / total) | Dask / CLI | bytes moved between workers | peak RSS per worker MiB |")
        print(f"|---|---|---|---|---|---|---|---|---|---|---|---|")
        print(f"| {customers} | {scored} | {rejected} | {csv_bytes / 2**20:.0f} | {run.partitions} | {workers} | {limit / 2**20:.0f} "
              f"| {cli_wall:.2f} | {t_prep:.1f} / {wall:.1f} | {wall / cli_wall:.1f}x | {moved} ({moved / 2**20:.0f} MiB) "
              f"| {peak_mib:.0f} |")
        if csv_bytes <= limit:
            print("note: this base is not larger than one worker's memory limit; raise CUSTOMERS")

        def spill_metrics(dask_worker):
            get = getattr(dask_worker.data, "get_metrics", None)
            return get() if get else {}

        spill = collections.Counter()
        for m in client.run(spill_metrics).values():
            spill.update({k: v for k, v in m.items() if k in ("disk_write_bytes_total", "disk_read_bytes_total")})
        print(f"spilled to disk {spill['disk_write_bytes_total'] / 2**20:.0f} MiB, read back "
              f"{spill['disk_read_bytes_total'] / 2**20:.0f} MiB (all workers)")
        # where the time went: compute and transfer seconds per task name (the key's name part)
        # (and disk: the spilled inputs read back, outputs written, as the stream reports them)
        column = {"compute": 1, "transfer": 2}
        per = collections.defaultdict(lambda: [0, 0.0, 0.0, 0.0])
        for task in stream.data:
            acc = per[dask.utils.key_split(task["key"])]
            acc[0] += 1
            for s in task["startstops"]:
                acc[column.get(s["action"], 3)] += s["stop"] - s["start"]
        print("| task (count) | compute s | transfer s | disk and other s |")
        print("|---|---|---|---|")
        for name, (n, comp, move, other) in sorted(per.items(), key=lambda kv: -sum(kv[1][1:]))[:12]:
            print(f"| {name} ({n}) | {comp:.1f} | {move:.1f} | {other:.1f} |")
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
EOF
# the workers share this machine: no network between them, so compressing what they send each
# other and spill (lz4, dask's default when installed) only costs CPU — off unless set otherwise
export DASK_DISTRIBUTED__COMM__COMPRESSION=${DASK_DISTRIBUTED__COMM__COMPRESSION:-None}
PYTHONPATH=$pkg /usr/bin/python3 "$script" "$customers" "$workers" "$memory" "$blocksize" "$root" "$cli" "$partitions"
find "$root" -mindepth 1 -maxdepth 1 ! -name base ! -name base.customers -exec rm -rf {} +
