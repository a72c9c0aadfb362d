"""Build hook: the wheel carries the shipped model.

The trained model and its card live in the repository's `models/` (where
`make train` writes them and the model card is read by people), outside the
`moderation` package, so a plain `pip install` or a wheel had no model and
`load_model()` failed. The wheel copies them to `moderation/models/`, where
`moderation.model.DEFAULT_MODEL_DIR` finds them when the repository's
`models/` is not beside the package (everything else is in pyproject.toml).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

MODEL_FILES = ("model-card.json", "moderation-model.npz")


class BuildPyWithModel(build_py):
    def run(self) -> None:
        super().run()
        source = Path(__file__).resolve().parent / "models"
        target = Path(self.build_lib) / "moderation" / "models"
        target.mkdir(parents=True, exist_ok=True)
        for name in MODEL_FILES:
            shutil.copy2(source / name, target / name)


setup(cmdclass={"build_py": BuildPyWithModel})
