"""``python -m socialsight`` runs the CLI."""

from socialsight.cli import console

console()
