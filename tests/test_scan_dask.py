"""The Dask engine on a real LocalCluster gives the local engine's output, record for record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from moderation.cli import main
from moderation.scan import scan

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
