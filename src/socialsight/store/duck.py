"""DuckDB for the store's database, without the cost of importing the ``duckdb`` package.

The package wraps the C extension ``_duckdb`` with a version lookup through
``importlib.metadata``, relation helpers and adapters for other dataframe libraries: about
80 ms of every process that imports it, a tenth of an ingest of a million lines (issue #6).
The ledger needs connections only, which the extension has itself (the package re-exports the
same classes: ``duckdb.Error is _duckdb.Error``, tested). With a DuckDB whose extension is not
a top-level module, the package is imported instead. Analytics, through Ibis, import the
package anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb
else:
    try:
        import _duckdb as duckdb
    except ImportError:  # pragma: no cover - another DuckDB layout
        import duckdb

__all__ = ["duckdb"]
