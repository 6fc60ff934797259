"""The store database's writing connection, opened on a thread (issue #6).

DuckDB opens a database (reading its file, registering its functions) in tens of milliseconds
without the GIL. An ingest opens its first connection on a thread while it builds its host
classifier (:meth:`socialsight.store.store.Store.connect_ahead`); the ``ingest`` command starts
it even earlier, before Arrow is imported (:func:`open_early`), and the store takes that one
over. This module imports nothing heavy: DuckDB's extension is imported on the thread.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TypeAlias

    from socialsight.store.duck import duckdb

    Opening: TypeAlias = Future[duckdb.DuckDBPyConnection]

DB_NAME = "socialsight.duckdb"
"""The store database's file name, in the store's directory."""

_early: dict[str, Opening] = {}
_lock = threading.Lock()


def open_ahead(db_path: Path) -> Opening:
    """A writing connection to ``db_path``, opening on a thread (the future's result)."""
    future: Opening = Future()

    def run() -> None:
        try:
            from socialsight.store import database

            future.set_result(database.open_connection(db_path))
        except BaseException as exc:  # handed to the caller by future.result()
            future.set_exception(exc)

    threading.Thread(target=run, name="store-connect", daemon=True).start()
    return future


def open_early(store_root: Path) -> None:
    """Start opening the database of the store at ``store_root``, for the next
    :meth:`~socialsight.store.store.Store.connect_ahead` of that store to take over. A face
    calls it first thing and :func:`drop_early` when done (whether it was taken or not)."""
    db_path = store_root / DB_NAME
    if not db_path.is_file():  # not a store: opening it says so, the usual way
        return
    with _lock:
        if str(db_path) not in _early:
            _early[str(db_path)] = open_ahead(db_path)


def take_early(db_path: Path) -> Opening | None:
    """The connection :func:`open_early` started for ``db_path``, once (else None)."""
    with _lock:
        return _early.pop(str(db_path), None)


def drop_early() -> None:
    """Close every connection :func:`open_early` started that no store took over."""
    with _lock:
        left = list(_early.values())
        _early.clear()
    for future in left:
        close(future)


def close(opening: Opening) -> None:
    """Close the connection once opened (one that failed to open leaves nothing to close)."""
    with contextlib.suppress(BaseException):
        opening.result().close()
