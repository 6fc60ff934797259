"""The dashboard's access to the library: fresh read-only answers, cached per store version.

Each request first reads the version of the installation: the file status of the store's
database and of the configuration. Any commit (events, declared uses) or configuration change
makes a new version, for which a fresh :class:`~socialsight.insights.Insights` is opened (it
reads only committed parts), so a running ingest never blocks the dashboard and new data
shows as soon as a batch commits. Answers are cached per version; stale ones age out of the
small cache.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Hashable
from pathlib import Path
from typing import Any

from socialsight.config import CONFIG_NAME, STORE_NAME, Settings, load_settings
from socialsight.insights import Insights
from socialsight.store.opening import DB_NAME


class Library:
    """Cached calls to :class:`Insights` methods for one data directory."""

    def __init__(self, data_dir: Path, max_entries: int = 96) -> None:
        self.data_dir = data_dir
        self.max_entries = max_entries
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        # One Insights per store version, so that answers computed inside the library (the
        # overview reuses the dependencies) are shared too. Its engine connection is not
        # meant for concurrent queries: questions to it are asked one at a time.
        self._insights: tuple[Hashable, Insights] | None = None
        self._compute = threading.Lock()

    def version(self) -> tuple[Hashable, ...]:
        """Changes whenever committed data or the configuration may have changed."""
        stamps: list[Hashable] = []
        db = self.data_dir / STORE_NAME / DB_NAME
        for path in (db, db.with_name(db.name + ".wal"), self.data_dir / CONFIG_NAME):
            try:
                st = os.stat(path)
                stamps.append((st.st_mtime_ns, st.st_size, st.st_ino))
            except FileNotFoundError:
                stamps.append(None)
        return tuple(stamps)

    def settings(self) -> Settings:
        """The installation's configuration as it is now."""
        return load_settings(self.data_dir)

    def ask(self, method: str, *args: Hashable, **kwargs: Hashable) -> Any:
        """``Insights.open(data_dir).<method>(*args, **kwargs)``, cached per store version.

        Callers must treat the answer as read-only: it is shared between requests.
        """
        # An option left at None is the library's default: one cache entry for both spellings.
        kwargs = {name: value for name, value in kwargs.items() if value is not None}
        version = self.version()
        key = (version, method, args, tuple(sorted(kwargs.items())))
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        with self._compute:
            with self._lock:
                if key in self._cache:  # answered while this request waited
                    return self._cache[key]
            if self._insights is None or self._insights[0] != version:
                self._insights = (version, Insights.open(self.data_dir))
            answer = getattr(self._insights[1], method)(*args, **kwargs)
        with self._lock:
            self._cache[key] = answer
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)
        return answer
