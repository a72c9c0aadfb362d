"""Shared fixtures. Tests that need ../shared/data skip with a reason when it is absent."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_data_dir() -> Path:
    """Where the labelled data sets live: $MODERATION_DATA, else ../shared/data."""
    return Path(os.environ.get("MODERATION_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"labelled data not found at {path} (set MODERATION_DATA or clone beside ../shared/data)")
    return path


@pytest.fixture(scope="session")
def benchmark_script():
    """Load a script of benchmarks/ by name as a module (they are scripts, not a package)."""

    def load(name: str):
        spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture
def both_tokenisers(monkeypatch):
    """`tokens(featurizer, normalized)`: the token ids and offsets of a batch by the small-batch
    path (one comment, the hook) and by the array path (a large batch), checked equal."""
    import numpy as np

    from moderation import features

    def tokens(fz, normalized):
        monkeypatch.setattr(features, "_SMALL_BATCH_CHARS", 10 ** 9)
        small = fz._tokens(normalized)
        monkeypatch.setattr(features, "_SMALL_BATCH_CHARS", 0)
        large = fz._tokens(normalized)
        for a, b in zip(small, large):
            np.testing.assert_array_equal(a, b)
        return small
    return tokens


@pytest.fixture(scope="session")
def moderator():
    """The shipped model, loaded once for the whole session as the hook would."""
    from moderation import load_model

    return load_model()


@pytest.fixture(scope="session")
def seed_page_text() -> str:
    return (EXAMPLES / "001_f6e74c870da5195f.txt").read_text(encoding="utf-8")
