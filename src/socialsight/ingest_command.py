"""The ``ingest`` command's work, without the command-line library (issue #6).

:func:`run` is called by the Typer command in ``cli.py`` and, for arguments it can read itself,
directly by the program's entry point (``entry.py``): Typer's import and the building of its
command cost 70 ms of an ingest's start, a tenth of what the ingest of a million lines takes
in all. Both paths print the same (tests/test_entry.py runs both on the same arguments).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socialsight.config import STORE_NAME, require_initialised, resolve_data_dir
from socialsight.render import print_json, safe, stderr, stdout, table

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from socialsight.ingest import IngestReport
    from socialsight.prefetch import Prefetch


def run(
    paths: list[str],
    data: Path | None = None,
    directory: Path | None = None,
    format: str | None = None,
    mapping: Path | None = None,
    json_out: bool = False,
    *,
    arrow_numpy: bool = True,
) -> int:
    """Ingest ``paths`` and print the report (a table, or JSON with ``json_out``); the exit
    status: 1 when every file named was refused, else 0. A library error is raised.

    ``arrow_numpy=False`` (the program's own process only, see :mod:`socialsight.entry`):
    Arrow, when not imported yet, is imported without its NumPy support."""
    from socialsight.prefetch import Prefetch
    from socialsight.store import opening

    # Started before the heavy imports below: the file is read on the idle core meanwhile,
    # and the store's database opened on a thread.
    prefetch = Prefetch.start(paths, format)
    try:
        data_dir = resolve_data_dir(data)
        require_initialised(data_dir)
        opening.open_early(data_dir / STORE_NAME)
        if not arrow_numpy:
            _import_arrow_without_numpy()
        report = _ingest(paths, data_dir, directory, format, mapping, json_out, prefetch)
    finally:
        if prefetch is not None:
            prefetch.close()
        opening.drop_early()
    if json_out:
        print_json(
            {
                "files": [
                    {
                        "path": f.path,
                        "status": f.status,
                        "format": f.format,
                        "lines": f.lines,
                        "records": f.records,
                        "rejected": dict(sorted(f.rejected.items())),
                        "note": f.note,
                    }
                    for f in report.files
                ],
                "lines": report.lines,
                "records": report.records,
                "rejected": dict(sorted(report.rejected.items())),
                "seconds": round(report.seconds, 3),
            }
        )
    else:
        from rich.text import Text

        rows = [
            [
                safe(f.path),
                safe(f.status),
                safe(f.format),
                safe(f.lines),
                safe(f.records),
                safe(sum(f.rejected.values())),
                safe(f.note or None),
            ]
            for f in report.files
        ]
        table(
            "Ingest",
            ["file", "status", "format", "lines", "records", "rejected", "note"],
            rows,
        )
        rate = report.lines / report.seconds if report.seconds > 0 else 0.0
        stdout().print(
            f"{report.lines:,} lines read, {report.records:,} events stored, "
            f"{sum(report.rejected.values()):,} rejected in {report.seconds:.1f} s "
            f"({rate:,.0f} lines/s)"
        )
        for reason, count in sorted(report.rejected.items(), key=lambda kv: (-kv[1], kv[0])):
            stdout().print(Text(f"  rejected {count:,} × {reason}"))
        if report.rejected:
            stdout().print("  (see `socialsight rejects --show` for the lines themselves)")
    for refused in report.refused:
        from rich.text import Text

        stderr().print(Text(f"refused {refused.path}: {refused.note}"))
    if report.files and len(report.refused) == len(report.files):
        return 1
    return 0


def _ingest(
    paths: list[str],
    data_dir: Path,
    directory: Path | None,
    format: str | None,
    mapping: Path | None,
    json_out: bool,
    prefetch: Prefetch | None,
) -> IngestReport:
    """Run the ingest of the ``ingest`` command (its heavy imports happen here)."""
    from socialsight.ingest import Ingestor
    from socialsight.privacy.directory import EMPTY_DIRECTORY, load_directory

    units = load_directory(directory) if directory else EMPTY_DIRECTORY
    options = {"mapping": str(mapping)} if mapping else None
    if json_out or not stderr().is_terminal:  # no bar to draw: Rich's progress not imported
        ingestor = Ingestor(data_dir, units, format, format_options=options, prefetch=prefetch)
        return ingestor.run(paths)
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[lines]:,} lines"),
        TextColumn("{task.fields[rate]:,.0f} lines/s"),
        TimeRemainingColumn(),
        console=stderr(),
        transient=True,
    )
    with bar:
        ingestor = Ingestor(
            data_dir, units, format, _RichProgress(bar), format_options=options, prefetch=prefetch
        )
        return ingestor.run(paths)


class _RichProgress:
    def __init__(self, progress: Progress) -> None:
        self.bar = progress
        self.task: TaskID | None = None
        self.lines = 0

    def start(self, total_bytes: int) -> None:
        self.task = self.bar.add_task("ingest", total=max(total_bytes, 1), lines=0, rate=0)

    def file(self, path: Path) -> None:
        from rich.text import Text

        if self.task is not None:
            self.bar.update(self.task, description=Text(path.name[:40]).plain)

    def advance(self, nbytes: int, lines: int) -> None:
        self.lines += lines
        if self.task is not None:
            elapsed = self.bar.tasks[self.task].elapsed or 0.0
            rate = self.lines / elapsed if elapsed > 0 else 0
            self.bar.update(self.task, advance=nbytes, lines=self.lines, rate=rate)


def _import_arrow_without_numpy() -> None:
    """Import Arrow with its NumPy support off, unless Arrow is imported already.

    Arrow imports NumPy, when installed, to convert to and from its arrays: a third of
    Arrow's import, 0.11 s of CPU, a tenth of the ingest of a million lines (issue #6). An
    ingest converts nothing to NumPy through Arrow: the parsers that compute with NumPy cross
    over through :mod:`socialsight.ndarrays`, and a Squid ingest imports no NumPy at all.
    ``pyarrow.lib`` and ``pyarrow._compute`` look for NumPy once, when imported: NumPy is
    hidden while they are, then importable again (by those parsers)."""
    if "pyarrow" in sys.modules or "numpy" in sys.modules:
        return
    hidden = HiddenPackage("numpy", "is hidden from Arrow")
    sys.meta_path.insert(0, hidden)
    try:
        import pyarrow.compute  # noqa: F401
    finally:
        sys.meta_path.remove(hidden)


class HiddenPackage:
    """An import finder (a ``sys.meta_path`` entry) that makes the import of ``package`` fail
    as if it were not installed. Not derived from ``importlib.abc.MetaPathFinder``: importing
    that module loads ``importlib.resources`` and more, tens of milliseconds of every ingest."""

    def __init__(self, package: str, why: str) -> None:
        self.package = package
        self.why = why

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname.partition(".")[0] == self.package:
            raise ModuleNotFoundError(f"{self.package} {self.why}", name=fullname)
