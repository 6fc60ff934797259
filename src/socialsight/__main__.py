"""``python -m socialsight`` runs the CLI."""

from socialsight.cli import main

main()
