"""The notebooks run top to bottom against the shipped model, and are committed without outputs.

Executed with nbclient in a kernel on this interpreter (so the venv's
`moderation` is the one imported), in a throwaway copy: the files in
`notebooks/` are never written. They read ../shared/data, so these tests skip
when it is absent; the output-stripping checks need nothing and always run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import REPO

NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = ["01_data.ipynb", "02_evaluation.ipynb", "03_thresholds.ipynb"]
KERNEL = "moderation-test-venv"


def test_the_three_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, cell in enumerate(nb.cells)
             if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; run `nbstripout {path.relative_to(REPO)}`"
    # nbstripout itself agrees (metadata, cell ids, counts): what the git filter would commit
    verify = subprocess.run([sys.executable, "-m", "nbstripout", "--verify", str(path)], capture_output=True, text=True)
    assert verify.returncode == 0, f"{path.name}: nbstripout would change it: {verify.stdout}{verify.stderr}"


def test_gitattributes_strips_notebooks():
    lines = (REPO / ".gitattributes").read_text(encoding="utf-8").splitlines()
    assert "*.ipynb filter=nbstripout" in lines


def test_notebooks_use_the_package_api():
    """No copied model or loading logic: each notebook loads the shipped model and its thresholds."""
    for path in NOTEBOOKS:
        source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        assert "load_model()" in source, path.name
        assert "LogisticRegression" not in source and "TfidfVectorizer" not in source, path.name
        assert "read_csv" not in source, f"{path.name}: read data through moderation.training's loaders"


@pytest.fixture(scope="module")
def jupyter_path(tmp_path_factory) -> str:
    """A kernel spec for this very interpreter, so the notebooks import this checkout's package."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "moderation (tests)", "language": "python"}), encoding="utf-8")
    return str(root)


@pytest.mark.data
@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, shared_data: Path, jupyter_path: str, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("MODERATION_DATA", str(shared_data))
    monkeypatch.setenv("JUPYTER_PATH", jupyter_path)
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend (Agg canvas, PNG outputs)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name=KERNEL, allow_errors=False,
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    client.execute()  # raises CellExecutionError naming the cell and its traceback
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, f"{path.name}: no figure was drawn"
    stderr = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stderr")
    assert "Traceback" not in stderr, stderr
    # the committed file is untouched
    assert not any(c.get("outputs") for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")


@pytest.mark.data
@pytest.mark.slow
def test_make_figures_writes_every_figure(shared_data: Path, tmp_path: Path):
    from moderation.figures import FIGURES

    run = subprocess.run([sys.executable, "-m", "moderation.figures", "--output", str(tmp_path), "--data",
                          str(shared_data)], capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr
    written = sorted(p.name for p in tmp_path.glob("*.png"))
    assert written == sorted(f"{name}.png" for name in FIGURES)
    assert all((tmp_path / name).stat().st_size > 10_000 for name in written)  # drawn, not blank


def test_figures_without_data_is_a_clear_error(tmp_path: Path):
    run = subprocess.run([sys.executable, "-m", "moderation.figures", "--output", str(tmp_path), "--data",
                          str(tmp_path / "nowhere")], capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 1
    assert "nowhere" in run.stderr and "data directory not found" in run.stderr
    assert not list(tmp_path.glob("*.png"))
