"""`moderation evaluate`: measure a model on held-out data and write docs/evaluation.md."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from moderation.training.paths import default_data_dir


@click.command("evaluate")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory of the public labelled data sets [default: $MODERATION_DATA, else ../shared/data].")
@click.option("--model", "model_path", type=click.Path(path_type=Path), default=None,
              help="A model directory or card (default: the shipped model in models/).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=Path("docs/evaluation.md"),
              show_default=True, help="Markdown report to write ('-' for stdout).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write every figure as JSON here.")
@click.option("--no-speed", is_flag=True, help="Skip the speed benchmarks (faster).")
def evaluate_command(data_dir: Path, model_path: Path | None, output: Path, json_path: Path | None, no_speed: bool) -> None:
    """Measure the model against every target and write a Markdown report.

    Reports the seed table, our own set's test split (F1, hard-negative false
    positives), held-out news comments (ROC AUC against alt-profanity-check on
    the same rows), identity-term bias per toxigen group, the obfuscated seed
    comments, other public sets and the speed benchmarks.

    \b
    Examples:
      moderation evaluate                               # writes docs/evaluation.md
      moderation evaluate --no-speed -o - | less
    """
    from moderation.model import ModelError, load_model
    from moderation.training.evaluate import evaluate, render_markdown

    given = data_dir is not None
    data_dir = data_dir if given else default_data_dir()
    if not data_dir.is_dir():
        raise click.ClickException(f"{data_dir}: data directory not found (use --data DIR or set MODERATION_DATA)")
    try:
        import profanity_check  # noqa: F401  (the peer every figure is compared with)
    except ImportError as exc:
        raise click.ClickException("alt-profanity-check is needed for the side-by-side figures: "
                                   "pip install -e '.[dev]' (or pip install alt-profanity-check)") from exc
    try:
        moderator = load_model(model_path)
    except ModelError as exc:
        raise click.ClickException(str(exc)) from exc
    results = evaluate(moderator, data_dir, with_speed=not no_speed, log=lambda m: click.echo(m, err=True))
    command = "moderation evaluate" + (f" --data {data_dir}" if given else "") + (" --no-speed" if no_speed else "")
    text = render_markdown(results, command)
    if str(output) == "-":
        sys.stdout.write(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    if json_path:
        json_path.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
