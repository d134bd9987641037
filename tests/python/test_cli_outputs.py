"""The command line's output rules (docs/outputs.md), run against the built `rapport` CLI.

Every test here failed before the rules existed: an output onto an input or onto another output
was written, a FIFO was replaced by a regular file, "-" was a file named "-", an existing
file's mode became 0644, --rejects stopped at 1,000,000 rows, and a signal left the temporary
files behind.
"""

import json
import os
import pathlib
import shutil
import signal
import stat
import subprocess
import time

import pytest


def run(cli, *args, cwd=None, timeout=120):
    return subprocess.run([cli, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout)


@pytest.fixture()
def base(base_dir, tmp_path):
    """A private copy of the generated 500-customer base (tests may try to overwrite it)."""
    d = tmp_path / "base"
    shutil.copytree(base_dir, d)
    return d


def snapshot(d):
    """Bytes of every file under d (by relative path)."""
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(pathlib.Path(d).rglob("*")) if p.is_file()}


# --- refusals: an output that is an input or another output --------------------------------------

@pytest.mark.parametrize("option", ["--out", "--summary", "--explain", "--rejects"])
@pytest.mark.parametrize("table", ["customers", "purchases", "referrals"])
def test_an_output_onto_an_input_is_refused_and_the_input_kept(cli, base, tmp_path, option, table):
    before = snapshot(base)
    p = run(cli, "score", base, option, base / f"{table}.csv", "--quiet")
    assert p.returncode == 2, p.stderr
    assert f"{table}.csv" in p.stderr and option in p.stderr and "--" + table in p.stderr
    assert snapshot(base) == before


def test_an_output_onto_the_config_is_refused(cli, base, tmp_path):
    config = tmp_path / "config.json"
    config.write_text("{}\n")
    p = run(cli, "score", base, "--config", config, "--summary", config, "--quiet")
    assert p.returncode == 2, p.stderr
    assert "--config" in p.stderr and "--summary" in p.stderr
    assert config.read_text() == "{}\n"


def test_an_output_reaching_an_input_through_a_symlink_or_hard_link_is_refused(cli, base, tmp_path):
    before = snapshot(base)
    (tmp_path / "soft.csv").symlink_to(base / "contacts.csv")
    os.link(base / "purchases.csv", tmp_path / "hard.csv")
    for alias in ("soft.csv", "hard.csv"):
        p = run(cli, "score", base, "--out", tmp_path / alias, "--quiet")
        assert p.returncode == 2, (alias, p.stderr)
    assert snapshot(base) == before


@pytest.mark.parametrize("first,second", [("--out", "--summary"), ("--out", "--explain"),
                                          ("--summary", "--rejects"), ("--explain", "--rejects")])
def test_two_outputs_onto_one_file_are_refused(cli, base, tmp_path, first, second):
    target = tmp_path / "same.txt"
    p = run(cli, "score", base, first, target, second, target, "--quiet")
    assert p.returncode == 2, p.stderr
    assert first in p.stderr and second in p.stderr and "same.txt" in p.stderr
    assert not target.exists()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["base"]


def test_two_outputs_onto_one_existing_file_by_another_name_are_refused(cli, base, tmp_path):
    target = tmp_path / "scores.csv"
    target.write_text("previous\n")
    p = run(cli, "score", base, "--out", target, "--summary", tmp_path / "." / "scores.csv", "--quiet")
    assert p.returncode == 2, p.stderr
    assert target.read_text() == "previous\n"


def test_graph_out_onto_its_edge_list_is_refused(cli, base):
    before = snapshot(base)
    p = run(cli, "graph", "pagerank", base / "referrals.csv", "--out", base / "referrals.csv")
    assert p.returncode == 2, p.stderr
    assert snapshot(base) == before


def test_generate_refuses_two_of_its_files_being_one(cli, tmp_path):
    d = tmp_path / "gen"
    d.mkdir()
    (d / "customers.csv").write_text("keep\n")
    (d / "contacts.csv").symlink_to(d / "customers.csv")
    p = run(cli, "generate", d, "--customers", 20)
    assert p.returncode == 2, p.stderr
    assert (d / "customers.csv").read_text() == "keep\n"
    assert (d / "contacts.csv").is_symlink()


def test_a_directory_or_a_missing_folder_is_refused_before_any_work(cli, base, tmp_path):
    for target in (tmp_path, tmp_path / "missing" / "scores.csv"):
        p = run(cli, "score", base, "--out", target)
        assert p.returncode == 2, p.stderr
        assert str(target) in p.stderr and "loaded in" not in p.stderr  # refused before loading
    assert sorted(x.name for x in tmp_path.iterdir()) == ["base"]


# --- special targets ------------------------------------------------------------------------------

def test_a_fifo_output_is_written_into_not_replaced(cli, base, tmp_path):
    fifo = tmp_path / "scores.fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    try:
        p = run(cli, "score", base, "--out", fifo, "--quiet", timeout=60)
        got, _ = reader.communicate(timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.wait()
    assert p.returncode == 0, p.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    expected = tmp_path / "scores.csv"
    assert run(cli, "score", base, "--out", expected, "--quiet").returncode == 0
    assert got == expected.read_bytes()


def test_dash_writes_to_standard_output(cli, base, tmp_path):
    work = tmp_path / "cwd"
    work.mkdir()
    p = subprocess.run([cli, "score", str(base), "--out", "-", "--quiet"], capture_output=True, cwd=work,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    expected = tmp_path / "scores.csv"
    assert run(cli, "score", base, "--out", expected, "--quiet").returncode == 0
    assert p.stdout == expected.read_bytes()
    assert list(work.iterdir()) == []  # no file named "-"


def test_dash_twice_is_refused(cli, base, tmp_path):
    p = run(cli, "score", base, "--out", "-", "--summary", "-", "--quiet", cwd=tmp_path)
    assert p.returncode == 2, p.stderr
    assert sorted(x.name for x in tmp_path.iterdir()) == ["base"]


def private_null_device(tmp_path):
    """A character device like /dev/null (1, 3) in tmp_path: a broken writer replaces this one,
    never the machine's /dev/null."""
    dev = tmp_path / "null"
    try:
        os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, OSError) as e:
        pytest.skip("cannot create a character device here: %s" % e)
    return dev


def test_a_character_device_takes_any_number_of_outputs(cli, base, tmp_path):
    dev = private_null_device(tmp_path)
    p = run(cli, "score", base, "--out", dev, "--summary", dev, "--quiet")
    assert p.returncode == 0, p.stderr
    assert stat.S_ISCHR(os.lstat(dev).st_mode)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["base", "null"]


def test_an_existing_outputs_mode_is_kept(cli, base, tmp_path):
    modes = {"scores.csv": 0o600, "summary.json": 0o640, "explain.jsonl": 0o604}
    for name, mode in modes.items():
        (tmp_path / name).write_text("old\n")
        os.chmod(tmp_path / name, mode)
    p = run(cli, "score", base, "--out", tmp_path / "scores.csv", "--summary", tmp_path / "summary.json",
            "--explain", tmp_path / "explain.jsonl", "--quiet")
    assert p.returncode == 0, p.stderr
    for name, mode in modes.items():
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == mode, name
        assert (tmp_path / name).read_text() != "old\n"


# --- rejects: every one, streamed -----------------------------------------------------------------

def test_rejects_file_holds_every_rejected_row_past_a_million(cli, base, tmp_path):
    extra = 1_000_003  # the old writer stopped at 1,000,000 rows
    with open(base / "purchases.csv", "a") as f:
        f.write("NOBODY,2020-01-01T00:00:00Z,1\n" * extra)
    rejects = tmp_path / "rejects.csv"
    summary = tmp_path / "summary.json"
    p = run(cli, "score", base, "--rejects", rejects, "--summary", summary, "--quiet", timeout=300)
    assert p.returncode == 0, p.stderr
    with open(rejects) as f:
        header = f.readline()
        rows = sum(1 for line in f if line.startswith("purchases,") and line.rstrip("\n").endswith(
            ',unknown customer,"NOBODY,2020-01-01T00:00:00Z,1"'))
    assert header == "table,file,line,column,column_name,reason,raw\n"
    assert rows == extra
    assert json.loads(summary.read_text())["rows"]["purchases"]["rejected"] == extra


# --- no temporary file left behind ----------------------------------------------------------------

def test_a_failed_run_leaves_no_file(cli, base, tmp_path):
    """The rejects file is streamed while loading: a run failing after that (here: strict mode)
    must still put nothing in place and leave no temporary file."""
    with open(base / "purchases.csv", "a") as f:
        f.write("NOBODY,2020-01-01T00:00:00Z,1\n")
    out = tmp_path / "out"
    out.mkdir()
    p = run(cli, "score", base, "--strict", "--out", out / "s.csv", "--summary", out / "s.json",
            "--rejects", out / "r.csv", "--quiet")
    assert p.returncode == 2, p.stderr
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_removes_the_temporary_files(cli, base, tmp_path, sig):
    """--summary is a FIFO nobody reads: the run blocks opening it, after scores.csv was written
    (held in its temporary file until every output is done, issue 21 item 6) and while the
    rejects file is still a temporary file; then the signal arrives: no output is put in place."""
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "summary.fifo")
    proc = subprocess.Popen([cli, "score", str(base), "--out", str(out / "scores.csv"), "--summary",
                             str(out / "summary.fifo"), "--rejects", str(out / "rejects.csv"), "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            names = {p.name for p in out.iterdir()}
            if any(n.startswith(".scores.csv.") for n in names) and any(n.startswith(".rejects.csv.") for n in names):
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the run did not block on the FIFO: %s" % proc.stderr.read()
        proc.send_signal(sig)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -sig
    assert sorted(p.name for p in out.iterdir()) == ["summary.fifo"]
