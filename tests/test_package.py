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
