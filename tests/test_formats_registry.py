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
