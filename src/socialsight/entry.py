"""The ``socialsight`` program's entry point (console script, ``python -m socialsight``).

An ingest of one file is the command whose start-up matters (issue #6): on a million lines
the fixed cost of starting was a third of the run. So this module imports nothing heavy, reads
the ``ingest`` command's arguments itself and runs :func:`socialsight.ingest_command.run`
directly, which starts reading the file (a :class:`~socialsight.prefetch.Prefetch`) before
Arrow is imported; Typer, whose import and command building took 70 ms, is not imported at
all. Any other command, and any ingest arguments this reading does not know (``--help``, an
unknown option, a missing value), go through the Typer application in ``cli.py``, which
reports usage errors its way. tests/test_entry.py checks that both paths print the same.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

INGEST_VALUE_OPTIONS = frozenset({"--data", "--directory", "--format", "--mapping"})
"""The options of ``socialsight ingest`` that take a value (tests/test_entry.py checks these
two sets against the command's own definition)."""
INGEST_FLAGS = frozenset({"--json"})


@dataclass(frozen=True)
class IngestArguments:
    """The arguments of ``socialsight ingest``, as the command's parser reads them."""

    paths: list[str]
    data: Path | None = None
    directory: Path | None = None
    format: str | None = None
    mapping: Path | None = None
    json_out: bool = False


def console() -> None:
    """Run the ``socialsight`` command named by ``sys.argv``."""
    # numpy (imported by Arrow) loads OpenBLAS, whose thread pool spins a core for about
    # 0.15 s after loading; socialsight does no linear algebra. On a 2-core machine that spin
    # took a tenth of the CPU of an ingest of a million lines, during its start (issue #6).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if sys.argv[1:2] != ["ingest"]:
        from socialsight.cli import main

        main()
        return
    _without_pandas()
    arguments = ingest_arguments(sys.argv[2:])
    try:
        if arguments is not None and arguments.paths:
            code = _ingest(arguments)
        else:
            from socialsight.cli import main

            main(sys.argv[2:], only="ingest")
            code = 0
    except SystemExit as done:
        code = _exit_status(done)
    # Everything is committed, synced and closed by now: the interpreter's teardown (freeing
    # Arrow, DuckDB and module objects, about 40 ms) would only delay the end.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # a closed pipe (`| head`): nothing more can be said
            code = code or 1
    os._exit(code)


def _ingest(arguments: IngestArguments) -> int:
    from socialsight import ingest_command
    from socialsight.render import failures_reported

    with failures_reported():
        return ingest_command.run(
            arguments.paths,
            arguments.data,
            arguments.directory,
            arguments.format,
            arguments.mapping,
            arguments.json_out,
            arrow_numpy=False,
        )


def ingest_arguments(argv: Sequence[str]) -> IngestArguments | None:
    """The arguments of ``socialsight ingest <argv>``, read without the command-line library
    as its parser reads them (the last of a repeated option wins, ``--`` ends the options);
    None when they hold anything else: ``--help``, an unknown option, a missing value, a
    value given to a flag.

    >>> read = ingest_arguments(["--data", "d", "--json", "--format=squid", "access.log"])
    >>> read.paths, str(read.data), read.format, read.json_out
    (['access.log'], 'd', 'squid', True)
    >>> ingest_arguments(["--help"]) is None
    True
    """
    paths: list[str] = []
    values: dict[str, str] = {}
    json_out = False
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
            values[name] = value
        elif name in INGEST_FLAGS and not equals:
            json_out = True
        else:
            return None

    def path(option: str) -> Path | None:
        return Path(values[option]) if option in values else None

    return IngestArguments(
        paths,
        path("--data"),
        path("--directory"),
        values.get("--format"),
        path("--mapping"),
        json_out,
    )


def _exit_status(done: SystemExit) -> int:
    """The status ``sys.exit`` would give for ``done`` (a message means 1, printed)."""
    if done.code is None or isinstance(done.code, int):
        return done.code or 0
    print(done.code, file=sys.stderr)
    return 1


def _without_pandas() -> None:
    """Keep pandas out of this process.

    pyarrow imports pandas, when it is installed (ibis requires it), on its first conversion
    of a Python value: 0.3-0.5 s that every ingest would pay, though ingest never uses pandas
    (issue #6). Only the program's ``ingest`` does this, never an in-process call, so a
    process that may need pandas later is not affected.
    """
    from socialsight.ingest_command import HiddenPackage

    if "pandas" not in sys.modules:
        sys.meta_path.insert(0, HiddenPackage("pandas", "is kept out of ingest"))
