"""The format registry: ``get`` of a known name imports only that format's module, gives the
same class as the full registry, and importing the package does not import pyarrow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from socialsight import formats
from socialsight.errors import InputError
from socialsight.formats.base import LogFormat, ParseResult

ROOT = Path(__file__).resolve().parents[1]


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return done.stdout.strip()


def test_get_of_a_known_name_imports_only_its_module() -> None:
    loaded = _run(
        "import sys\n"
        "from socialsight import formats\n"
        "cls = formats.get('squid')\n"
        "print(cls.name, sorted(m.rsplit('.', 1)[1] for m in sys.modules\n"
        "      if m.startswith('socialsight.formats.') and not m.split('.')[-1].startswith('_')))\n"
    )
    assert loaded == "squid ['base', 'squid']"


def test_importing_the_package_does_not_import_pyarrow() -> None:
    assert _run("import sys, socialsight.cli; print('pyarrow' in sys.modules)") == "False"


@pytest.mark.parametrize("name", formats.names())
def test_get_agrees_with_the_registry(name: str) -> None:
    assert formats.get(name) is formats.registry()[name]
    assert formats.get(name).name == name


@pytest.mark.parametrize("name", ["nope", "base", "_chunks", "squid.x", "../squid", "", "SQUID"])
def test_unknown_names_are_a_clear_error(name: str) -> None:
    with pytest.raises(InputError, match=r"unknown format .*; known formats: bind, cef"):
        formats.get(name)


def test_lazy_reexports() -> None:
    assert formats.LogFormat is LogFormat
    assert formats.ParseResult is ParseResult
    with pytest.raises(AttributeError):
        _ = formats.NoSuchThing


def test_detection_tries_formats_lazily_in_name_order_and_stops_at_a_perfect_score() -> None:
    """A Squid log is recognised without importing the formats after ``squid``; the answer is
    the same as trying every detectable format (the highest score, the earlier name on a
    tie), on every sample file of the format tests."""
    import subprocess
    import sys

    program = (
        "import sys\n"
        "from pathlib import Path\n"
        "from socialsight import formats\n"
        "from socialsight.sources import sample_lines\n"
        "print(formats.detect(sample_lines(Path(sys.argv[1]), 'none')).name)\n"
        "print(sorted(m for m in sys.modules if m.startswith('socialsight.formats.')"
        " and not m.split('.')[-1].startswith('_')))\n"
    )
    from conftest import SQUID_SAMPLES

    squid_log = SQUID_SAMPLES / "access1.log"  # every line Squid native
    done = subprocess.run(
        [sys.executable, "-c", program, str(squid_log)], capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    name, loaded = done.stdout.splitlines()
    assert name == "squid"
    assert "socialsight.formats.zscaler" not in loaded and "socialsight.formats.w3c" not in loaded

    def exhaustive(lines: list[str]) -> str | None:
        best = None
        for cls in formats.detectable():
            score = cls.sniff(lines)
            if score >= formats.DETECT_THRESHOLD and (best is None or score > best[0]):
                best = (score, cls.name)
        return best[1] if best else None

    from socialsight.sources import sample_lines

    samples = sorted((Path(__file__).parent / "golden").rglob("*.log"))
    assert len(samples) > 20
    for path in samples:
        lines = [line for line in sample_lines(path, "none") if line.strip()]
        got = formats.detect(lines)
        assert (got.name if got else None) == exhaustive(lines), path
