"""The package's entry points: lazy public API, `python -m moderation`, the data directory default."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import moderation
from moderation.training.paths import REPO, default_data_dir


def test_every_public_name_resolves():
    for name in moderation.__all__:
        assert getattr(moderation, name) is not None, name
    assert callable(moderation.iter_inputs)


def test_python_dash_m_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "moderation", "--help"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("Usage: moderation ")
    assert "scan" in out.stdout and "check" in out.stdout


def test_data_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MODERATION_DATA", str(tmp_path))
    assert default_data_dir() == tmp_path
    monkeypatch.delenv("MODERATION_DATA")
    assert default_data_dir() == REPO.parent / "shared" / "data"
    assert (REPO / "pyproject.toml").is_file()


def test_train_and_evaluate_name_the_missing_data_dir(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from moderation.cli import main

    missing = tmp_path / "nowhere"
    monkeypatch.setenv("MODERATION_DATA", str(missing))
    for command in (["train", "--output", str(tmp_path / "m")], ["evaluate", "--no-speed", "-o", "-"]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1, command
        assert f"{missing}: data directory not found" in result.output


def test_the_readme_python_example_runs_and_decides_as_the_cli_does(monkeypatch):
    """The README's Python block is what a CMS developer copies first; it must run, and with its
    `load_policy` line decide as `moderation check` does (word lists on)."""
    import re

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^```python\n(.*?)^```", readme, flags=re.S | re.M).group(1)
    monkeypatch.chdir(REPO)
    scope: dict = {}
    exec(compile(block, "README.md", "exec"), scope)
    assert scope["verdict"].decision in ("hold", "reject")
    reasons = scope["moderator"].check("Go back where you came from, you raghead.").reasons
    assert any(r["kind"] == "banned_word" for r in reasons), reasons
    assert len(scope["verdicts"]) == len(scope["page"].comments) > 0


def test_a_wheel_carries_the_shipped_model_and_an_installed_package_loads_it(tmp_path):
    """A plain `pip install` had no models/ beside the package, so load_model() failed (setup.py)."""
    import hashlib
    import zipfile

    import shutil

    source = tmp_path / "source"  # pip builds in the source tree: a copy keeps build/ out of the checkout
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "moderation", source / "moderation", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "models", source / "models")
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--wheel-dir", str(wheels), str(source)], check=True, capture_output=True, text=True, timeout=300)
    (wheel,) = wheels.glob("moderation-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert {"moderation/models/model-card.json", "moderation/models/moderation-model.npz"} <= names
        zf.extractall(site)
    shipped = (REPO / "models" / "moderation-model.npz").read_bytes()
    packed = (site / "moderation" / "models" / "moderation-model.npz").read_bytes()
    assert hashlib.sha256(packed).digest() == hashlib.sha256(shipped).digest()
    code = ("import moderation.model as m; v = m.load_model().check('They breed like rats'); "
            "print(m.DEFAULT_MODEL_DIR, v.decision)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(site / "moderation" / "models"), "reject"]


def test_moderation_scan_stays_callable_however_it_was_imported():
    """QA pass 4: after the first lookup `moderation.scan` was the module, and a second call raised TypeError."""
    code = """
import moderation
m = moderation.load_model()
texts = [moderation.Comment(id="1", text="They breed like rats")]
first = [r["decision"] for r in moderation.scan(texts, m)]
second = [r["decision"] for r in moderation.scan(texts, m)]
import moderation.scan
from moderation import scan
third = [r["decision"] for r in scan(texts, m)]
print(first, second, third, callable(moderation.scan))
"""
    for prelude in ("", "import moderation.scan\n"):  # the module imported before the package's lookup too
        out = subprocess.run([sys.executable, "-c", prelude + code], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split("] ")[0] == "['reject'" and out.stdout.strip().endswith("True"), out.stdout
