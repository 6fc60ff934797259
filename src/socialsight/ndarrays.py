"""NumPy arrays to and from Arrow arrays, through their buffers.

The ``ingest`` program imports Arrow without its NumPy support (NumPy's import took a third
of Arrow's, a tenth of the ingest of a million lines: issue #6), so ``Array.to_numpy()``,
``numpy.asarray(array)`` and ``pa.array(ndarray)`` raise there. Code that works on NumPy
arrays crosses over with these two functions instead, which need nothing of Arrow's NumPy
support: they share the memory of fixed-width values (booleans are unpacked from, and packed
into, Arrow's bitmaps). Only null-free arrays cross: fill the nulls first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    import numpy as np

# NumPy is imported when an array crosses: importing this module (as every parser module
# does, and an ingest's format detection imports them all) must not import it (issue #6).
_TYPES: dict[str, pa.DataType] = {
    name: getattr(pa, name)()
    for name in (
        "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "float32", "float64",
    )
}  # fmt: skip
_DTYPES: dict[pa.DataType, str] = {arrow: name for name, arrow in _TYPES.items()}


def to_numpy(values: pa.Array | pa.ChunkedArray) -> np.ndarray[Any, Any]:
    """The values of a null-free integer, float or boolean Arrow array as a NumPy array (a
    view of its buffer, read-only, except for booleans, which are unpacked).

    >>> to_numpy(pa.array([1, 2, 3])).tolist(), to_numpy(pa.array([True, False])).tolist()
    ([1, 2, 3], [True, False])
    >>> to_numpy(pa.chunked_array([[1], [2]], pa.int32())).dtype
    dtype('int32')
    """
    import numpy as np

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], values.type)
    if values.null_count:
        raise ValueError(f"{values.null_count} nulls: fill them before crossing to NumPy")
    n, offset = len(values), values.offset
    data = values.buffers()[1]
    if pa.types.is_boolean(values.type):
        if n == 0:
            return np.zeros(0, bool)
        bits = np.frombuffer(data, np.uint8)
        unpacked: np.ndarray[Any, Any] = np.unpackbits(bits, bitorder="little", count=offset + n)
        return unpacked[offset:].astype(bool)
    name = _DTYPES.get(values.type)
    if name is None:
        raise TypeError(f"no NumPy counterpart for {values.type}")
    dtype = np.dtype(name)
    if n == 0:
        return np.zeros(0, dtype=dtype)
    view: np.ndarray[Any, Any] = np.frombuffer(data, dtype, count=n, offset=offset * dtype.itemsize)
    return view


def from_numpy(values: np.ndarray[Any, Any]) -> pa.Array:
    """A one-dimensional integer, float or boolean NumPy array as an Arrow array (sharing its
    memory, except for booleans, which are packed).

    >>> import numpy as np
    >>> from_numpy(np.arange(3)).to_pylist(), from_numpy(np.array([True, False])).to_pylist()
    ([0, 1, 2], [True, False])
    """
    import numpy as np

    if values.ndim != 1:
        raise ValueError(f"one-dimensional arrays only, not {values.ndim}")
    if values.dtype == np.dtype(bool):
        packed = np.packbits(values, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(packed)])
    arrow = _TYPES.get(values.dtype.name) if values.dtype.kind in "iuf" else None
    if arrow is None:
        raise TypeError(f"no Arrow counterpart for {values.dtype}")
    contiguous = np.ascontiguousarray(values)
    return pa.Array.from_buffers(arrow, len(values), [None, pa.py_buffer(contiguous)])
