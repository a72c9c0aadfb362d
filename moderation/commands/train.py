"""`moderation train`: rebuild the model from the labelled data sets."""

from __future__ import annotations

from pathlib import Path

import click

from moderation.training.paths import default_data_dir


@click.command("train")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory of the public labelled data sets, each with SOURCE.txt "
                   "[default: $MODERATION_DATA, else ../shared/data].")
@click.option("--own", "own_path", type=click.Path(dir_okay=False, path_type=Path), default=Path("data/news_comments.csv"),
              show_default=True, help="Our own labelled news-style comments (only its train split is used).")
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path), default=Path("models"),
              show_default=True, help="Directory to write the model file and its model card to.")
@click.option("--C", "C", type=float, default=0.5, show_default=True, help="Inverse L2 regularisation strength.")
@click.option("--seed", type=int, default=None, help="Random seed (the default makes `make train` reproducible).")
def train_command(data_dir: Path, own_path: Path, output: Path, C: float, seed: int | None) -> None:
    """Train the model from the labelled data sets and write it with its model card.

    Only data sets whose licence allows redistributing a derived model are used
    (see docs/model.md); the evaluation-only sets are never read. Takes about a
    minute on two cores. The model card records the exact files, row counts,
    licences, validation metrics and the hold/reject thresholds.

    \b
    Examples:
      moderation train                                  # ../shared/data -> models/
      moderation train --data /data/labelled --output /tmp/model
    """
    from moderation.training.train import SEED, TrainConfig, train_and_save

    data_dir = data_dir if data_dir is not None else default_data_dir()
    if not data_dir.is_dir():
        raise click.ClickException(f"{data_dir}: data directory not found (use --data DIR or set MODERATION_DATA)")
    config = TrainConfig(data_dir=data_dir, own_path=own_path if own_path.is_file() else None, C=C,
                         seed=SEED if seed is None else seed)
    if config.own_path is None:
        click.echo(f"warning: {own_path} not found; training without our own labelled set", err=True)
    train_and_save(config, output, log=lambda m: click.echo(m, err=True))
