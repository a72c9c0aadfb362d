"""The `moderation` command line.

Commands live one per module in `moderation.commands` and are imported only
when invoked, so `moderation check` starts without loading what `scan` needs.
Each command is a thin wrapper over a Python function a CMS can call directly.
"""

from __future__ import annotations

from importlib import import_module

import click

from moderation import __version__

#: command name -> (module, attribute, one-line help shown by `moderation --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "scan": ("moderation.commands.scan", "scan_command", "Score every comment in pages and dumps; report the flagged ones."),
    "segment": ("moderation.commands.segment", "segment_command", "Split a saved page into article, boilerplate and comments."),
    "check": ("moderation.commands.check", "check_command", "Check one comment before it is published (exit code = decision)."),
    "serve": ("moderation.commands.serve", "serve_command", "Run the pre-publish HTTP service (Perspective-compatible)."),
    "train": ("moderation.commands.train", "train_command", "Train the model from the labelled data sets."),
    "evaluate": ("moderation.commands.evaluate", "evaluate_command", "Measure a model on held-out data and write docs/evaluation.md."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use (click docs pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[cmd_name]
        return getattr(import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="moderation")
def main() -> None:
    """Find dehumanising and abusive reader comments, locally, and say why.

    \b
    Typical uses:
      moderation scan examples/                 report flagged comments in saved pages
      moderation scan dump.csv --format html -o report.html
      moderation check "Those people are vermin"    exit code 0 allow, 10 hold, 11 reject
      moderation serve --port 8080              pre-publish hook for a CMS
    """


if __name__ == "__main__":  # python -m moderation.cli
    main()
