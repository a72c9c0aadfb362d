"""The Dask engine on a real LocalCluster gives the local engine's output, record for record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from moderation.cli import main
from moderation.scan import scan, shared_files

from test_scan import EXAMPLES, write_dump

distributed = pytest.importorskip("distributed", reason="the dask engine needs the 'dask' extra")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, silence_logs=40) as c:
        yield c


def test_dask_engine_equals_local_engine(moderator, cluster, tmp_path):
    dump = write_dump(tmp_path / "dump.jsonl", 120, broken_line=50)
    local = scan([dump, EXAMPLES], moderator, chunk_size=16)
    expected = list(local)
    with distributed.Client(cluster) as client:
        remote = scan([dump, EXAMPLES], moderator, chunk_size=16, engine="dask", scheduler=client)
        got = list(remote)
        # every chunk ran on the cluster's workers, spread over both
        assert len(client.nthreads()) == 2
    assert got == expected
    assert remote.summary.to_dict() == local.summary.to_dict()
    assert remote.errors == local.errors and len(remote.errors) == 1


def test_cli_dask_engine_output_equals_local(cluster, tmp_path):
    dump = write_dump(tmp_path / "dump.jsonl", 60, broken_line=30)
    local_out, dask_out = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    runner = CliRunner()
    local = runner.invoke(main, ["scan", str(dump), str(EXAMPLES), "--all", "-o", str(local_out), "--chunk-size", "8"])
    assert local.exit_code == 1 and f"{dump}:30:" in local.stderr  # the broken line
    remote = runner.invoke(main, ["scan", str(dump), str(EXAMPLES), "--all", "-o", str(dask_out), "--chunk-size", "8",
                                  "--engine", "dask", "--scheduler", cluster.scheduler_address])
    assert remote.exit_code == 1, remote.output
    assert dask_out.read_bytes() == local_out.read_bytes()
    assert len(dask_out.read_text().splitlines()) >= 60 + 9
    assert remote.stderr == local.stderr


UNREACHABLE = "tcp://127.0.0.1:1"  # nothing listens on port 1: the connection is refused until the timeout


@pytest.fixture
def short_connect_timeout():
    """distributed retries a refused connection until its connect timeout (30 s by default)."""
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "0.5s"}):
        yield


def test_cli_unreachable_scheduler_is_one_error_line_and_leaves_no_journal(short_connect_timeout, tmp_path):
    dump = write_dump(tmp_path / "dump.jsonl", 4)
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["scan", str(dump), "-q", "-o", str(out), "--engine", "dask",
                                       "--scheduler", UNREACHABLE])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot reach the Dask scheduler at {UNREACHABLE}: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dump.jsonl"]  # no report, no journal files
    bad = CliRunner().invoke(main, ["scan", str(dump), "--engine", "dask", "--scheduler", "foo://x:1"])
    assert bad.exit_code == 2 and "Invalid value for '--scheduler'" in bad.stderr


def test_scan_api_names_the_unreachable_scheduler(short_connect_timeout, moderator, tmp_path):
    from moderation.scan import SchedulerUnreachable

    dump = write_dump(tmp_path / "dump.jsonl", 4)
    with pytest.raises(SchedulerUnreachable, match=f"cannot reach the Dask scheduler at {UNREACHABLE}: "):
        list(scan([dump], moderator, engine="dask", scheduler=UNREACHABLE))


def test_cli_unreachable_scheduler_keeps_the_journal_of_an_interrupted_run(short_connect_timeout, tmp_path,
                                                                            monkeypatch):
    from test_scan import _interrupt_after

    from moderation.scan import ScanJournal

    a, b = write_dump(tmp_path / "a.jsonl", 4), write_dump(tmp_path / "b.jsonl", 4, start=4)
    fresh, out = tmp_path / "fresh.jsonl", tmp_path / "out.jsonl"
    runner = CliRunner()
    assert runner.invoke(main, ["scan", str(a), str(b), "--all", "-o", str(fresh)]).exit_code == 0
    with monkeypatch.context() as m:
        _interrupt_after(6, m)  # a.jsonl done, b.jsonl begun
        assert runner.invoke(main, ["scan", str(a), str(b), "--all", "-o", str(out)]).exit_code == 130
    journal = ScanJournal(out, {})
    kept = {path: path.read_bytes() for path in (journal.done_path, journal.records_path)}
    for resume in ([], ["--resume"]):
        result = runner.invoke(main, ["scan", str(a), str(b), "--all", "-o", str(out), "--engine", "dask",
                                      "--scheduler", UNREACHABLE, *resume])
        assert result.exit_code == 1 and "cannot reach the Dask scheduler" in result.stderr
        assert {path: path.read_bytes() for path in kept} == kept  # neither removed nor started afresh
    resumed = runner.invoke(main, ["scan", str(a), str(b), "--all", "-o", str(out), "--resume"])
    assert resumed.exit_code == 0 and "resuming: 1 finished input(s) skipped" in resumed.stderr
    assert out.read_bytes() == fresh.read_bytes()


# Plain JSON Lines dumps the workers can read are cut into ranges they read themselves
# (scan._DaskPool, as -j N does); the rest, and every input with --dask-read client, go as chunks.

def _dumps_with_replies_errors_and_a_csv(tmp_path):
    from test_scan import _line

    lines = [_line(i) for i in range(60)]
    lines[40] = _line(40, parent="c3")  # a reply in a later range: that input's records come back here
    lines.insert(20, '{"broken": ')
    replies = tmp_path / "replies.jsonl"
    replies.write_text("\n".join(lines) + "\n", encoding="utf-8")
    plain = write_dump(tmp_path / "plain.jsonl", 45, broken_line=12)
    table = tmp_path / "t.csv"
    table.write_text("id,body\n1,hello there\n2,Get the fuck out of here\n", encoding="utf-8")
    return [plain, table, replies, plain]


def _task_kinds(client, run):
    """What `run()` sent to the cluster's workers: the function names of its tasks."""
    import re

    with distributed.get_task_stream(client) as stream:
        run()
    # submit(..., pure=False) names a task FUNCTION-UUID4
    return {re.sub(r"-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", "", str(task["key"]))
            for task in stream.data}


def test_dask_workers_read_the_files_they_share_and_give_the_output_of_one_job(moderator, cluster, tmp_path):
    from test_scan import _compare_with_one_job

    inputs = _dumps_with_replies_errors_and_a_csv(tmp_path)
    with distributed.Client(cluster) as client:
        assert shared_files(client, [str(p) for p in inputs] + [str(tmp_path / "gone.jsonl")]) == set(map(str, inputs))
        for read in ("auto", "workers", "client"):
            engine = {"engine": "dask", "scheduler": client, "dask_read": read}
            kinds = _task_kinds(client, lambda: _compare_with_one_job(moderator, inputs, engine=engine))
            if read == "client":
                assert kinds == {"_scan_pickled"}
            else:  # ranges, the replies' dump parsed by the workers, and the CSV as chunks
                assert kinds == {"_scan_range", "_parse_range_in_worker", "_scan_pickled"}


def test_dask_reads_here_the_files_its_workers_do_not_see(moderator, cluster, tmp_path, monkeypatch):
    import moderation.scan_engines as engines_module
    from test_scan import _compare_with_one_job

    inputs = _dumps_with_replies_errors_and_a_csv(tmp_path)
    # as on a cluster without this machine's files: no worker can stat them
    monkeypatch.setattr(engines_module, "_file_views", lambda paths: [None] * len(paths))
    with distributed.Client(cluster) as client:
        assert shared_files(client, [str(p) for p in inputs]) == set()
        engine = {"engine": "dask", "scheduler": client}
        assert _task_kinds(client, lambda: _compare_with_one_job(moderator, inputs, engine=engine)) == {"_scan_pickled"}


def test_dask_workers_that_fail_to_read_a_range_send_the_input_back_here(moderator, tmp_path, monkeypatch):
    import moderation.readers.jsonl as jsonl
    from test_scan import _compare_with_one_job

    inputs = _dumps_with_replies_errors_and_a_csv(tmp_path)
    real = jsonl.read_jsonl_range
    calls = []

    def fails_after_two(part, columns=None):  # the third range (the first file's) fails, as a lost mount would
        calls.append(part)
        if len(calls) == 3:
            raise OSError("gone")
        return real(part, columns)

    monkeypatch.setattr(jsonl, "read_jsonl_range", fails_after_two)
    # workers in this process, so that they read with the patched reader
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
                                  silence_logs=40) as local, distributed.Client(local) as client:
        _compare_with_one_job(moderator, inputs, engine={"engine": "dask", "scheduler": client, "dask_read": "workers"})
    assert len(calls) >= 3


def test_cli_dask_read_options_write_the_output_of_one_job(cluster, tmp_path):
    dump = write_dump(tmp_path / "dump.jsonl", 40, broken_line=31)
    runner = CliRunner()
    outputs = []
    for extra in ([], ["--engine", "dask", "--scheduler", cluster.scheduler_address],
                  ["--engine", "dask", "--scheduler", cluster.scheduler_address, "--dask-read", "client"]):
        out = tmp_path / f"out-{len(outputs)}.jsonl"
        result = runner.invoke(main, ["scan", str(dump), str(EXAMPLES), "--all", "--format", "jsonl", "-o", str(out),
                                      "--chunk-size", "6", *extra])
        outputs.append((result.exit_code, result.stderr, out.read_bytes()))
    assert outputs[1] == outputs[0] and outputs[2] == outputs[0]
    assert outputs[0][0] == 1 and f"{dump}:31: " in outputs[0][1]
    bad = runner.invoke(main, ["scan", str(dump), "--dask-read", "client"])
    assert bad.exit_code == 2 and "--dask-read is for --engine dask" in bad.output
