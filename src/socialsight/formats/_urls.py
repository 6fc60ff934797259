"""URL facts shared by the formats that read or write URLs: the default port of a scheme."""

from __future__ import annotations

from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}
"""The port a URL of each scheme uses when it names none."""


def default_port(scheme: pa.Array) -> pa.Array:
    """The :data:`DEFAULT_PORTS` port (int32) of each lower-case scheme; null for another
    scheme or none.

    >>> default_port(pa.array(["https", "gopher", None])).to_pylist()
    [443, None, None]
    """
    return pc.take(
        pa.array(list(DEFAULT_PORTS.values()), pa.int32()),
        pc.index_in(scheme, value_set=pa.array(list(DEFAULT_PORTS))),
    )
