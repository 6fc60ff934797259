"""The ``socialsight`` program's entry point (console script, ``python -m socialsight``).

It imports nothing heavy, so that an ``ingest`` of one file starts reading it (a
:class:`~socialsight.prefetch.Prefetch`) before the command-line library and Arrow are
imported: on a 2-core machine the first tenth of a second then reads and scans the log on the
idle core (issue #6). The command itself is run by :func:`socialsight.cli.console`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

INGEST_VALUE_OPTIONS = frozenset({"--data", "--directory", "--format", "--mapping"})
"""The options of ``socialsight ingest`` that take a value (tests/test_entry.py checks these
two sets against the command's own definition)."""
INGEST_FLAGS = frozenset({"--json"})


def console() -> None:
    """Run the ``socialsight`` command named by ``sys.argv``."""
    # numpy (imported by Arrow) loads OpenBLAS, whose thread pool spins a core for about
    # 0.15 s after loading; socialsight does no linear algebra. On a 2-core machine that spin
    # took a tenth of the CPU of an ingest of a million lines, during its start (issue #6).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if sys.argv[1:2] == ["ingest"]:
        wanted = ingest_arguments(sys.argv[2:])
        if wanted is not None:
            from socialsight.prefetch import Prefetch

            # Taken over by the ingest command if its parser reads the same arguments.
            Prefetch.start(*wanted, early=True)
    from socialsight.cli import console as run_command

    run_command()


def ingest_arguments(argv: Sequence[str]) -> tuple[list[str], str | None] | None:
    """The paths and the forced format of ``socialsight ingest <argv>``, read without the
    command-line library; None when the arguments hold anything else (``--help``, an unknown
    option, a missing value), which the command's own parser then reports.

    >>> ingest_arguments(["--data", "d", "--json", "--format=squid", "access.log"])
    (['access.log'], 'squid')
    >>> ingest_arguments(["--help"]) is None
    True
    """
    paths: list[str] = []
    format_name: str | None = None
    rest = iter(argv)
    only_paths = False
    for arg in rest:
        if only_paths or arg == "-" or not arg.startswith("-"):
            paths.append(arg)
            continue
        if arg == "--":
            only_paths = True
            continue
        name, equals, value = arg.partition("=")
        if name in INGEST_VALUE_OPTIONS:
            if not equals:
                following = next(rest, None)
                if following is None:
                    return None
                value = following
            if name == "--format":
                format_name = value
        elif not (name in INGEST_FLAGS and not equals):
            return None
    return paths, format_name
