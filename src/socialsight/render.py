"""How the command line shows results: consoles, safe table cells, tables and JSON.

Shared by every face that prints (``cli.py``, ``commands/``, ``ingest_command.py``); imports
neither Typer nor, until something is drawn, Rich.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socialsight.errors import SocialsightError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

# Piped output is not cut to 80 columns: scripts and `| less` get whole host names.
PIPE_WIDTH = 200


def stdout() -> Console:
    """The console for results (made per call so that redirection is always honoured)."""
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console.width = PIPE_WIDTH
    return console


def stderr() -> Console:
    """The console for progress, warnings and errors."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, width=PIPE_WIDTH)


def safe(value: Any) -> Text:
    """A table cell: log-derived text is never read as Rich markup, and control characters
    (terminal escape sequences from a hostile log) are shown escaped, not executed."""
    from rich.text import Text

    if value is None:
        return Text("-", style="dim")
    if isinstance(value, float):
        return Text(f"{value:,.2f}")
    if isinstance(value, int) and not isinstance(value, bool):
        return Text(f"{value:,}")
    if isinstance(value, datetime):
        return Text(value.strftime("%Y-%m-%d %H:%M"))
    text = str(value)
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return Text(text)


def human_bytes(value: int | None) -> Text:
    from rich.text import Text

    if value is None:
        return Text("-", style="dim")
    size = float(value)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return Text(f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}")
        size /= 1000
    return Text(str(value))  # pragma: no cover


def json_default(value: Any) -> Any:
    """What ``json.dumps`` makes of dates, times and paths (``default=``)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=json_default, indent=2, ensure_ascii=False) + "\n")


def table(title: str, columns: Sequence[str], rows: list[list[Text]], caption: str = "") -> None:
    from rich.table import Table  # imported when used: start-up time (issue #6)

    grid = Table(title=title, caption=caption or None, title_justify="left")
    for name in columns:
        grid.add_column(name, justify="right" if name in _NUMERIC else "left")
    for row in rows:
        grid.add_row(*row)
    stdout().print(grid)


_NUMERIC = {
    "people", "units", "requests", "bytes up", "bytes down", "active days", "hosts",
    "lines", "records", "rejected", "failed", "blocked", "offset", "services", "domains",
}  # fmt: skip


@contextmanager
def failures_reported() -> Iterator[None]:
    """Expected failures as the command line reports them: a library error is one line on
    stderr and exit status 1 (no traceback); an interruption says what is kept, status 130."""
    try:
        yield
    except SocialsightError as exc:
        from rich.text import Text

        stderr().print(Text(f"error: {exc}"))
        sys.exit(1)
    except KeyboardInterrupt:
        stderr().print("interrupted; everything committed so far is kept, rerun to continue")
        sys.exit(130)
