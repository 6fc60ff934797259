"""``python -m socialsight`` runs the CLI."""

from socialsight.entry import console

console()
