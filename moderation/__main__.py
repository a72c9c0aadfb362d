"""`python -m moderation ...` runs the same CLI as the `moderation` command."""

from moderation.cli import main

main(prog_name="moderation")
