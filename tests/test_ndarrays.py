"""NumPy arrays to and from Arrow through buffers (socialsight.ndarrays): the crossing the
parsers use where Arrow has no NumPy support (the ingest program, issue #6)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialsight.ndarrays import from_numpy, to_numpy

INTEGER_TYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


@pytest.mark.parametrize("name", [*INTEGER_TYPES, "float32", "float64"])
def test_numbers_cross_both_ways_with_offsets(name: str) -> None:
    values = np.arange(50).astype(name)
    arrow = from_numpy(values)
    assert arrow.type == getattr(pa, name)() and arrow.to_pylist() == values.tolist()
    sliced = pa.array(values.tolist(), getattr(pa, name)()).slice(7, 20)
    back = to_numpy(sliced)
    assert back.dtype == np.dtype(name) and back.tolist() == values[7:27].tolist()
    assert to_numpy(pa.chunked_array([sliced, sliced])).tolist() == values[7:27].tolist() * 2


@given(bits=st.lists(st.booleans(), max_size=200), start=st.integers(0, 20))
def test_booleans_cross_both_ways_at_any_offset(bits: list[bool], start: int) -> None:
    arrow = pa.array(bits, pa.bool_()).slice(min(start, len(bits)))
    assert to_numpy(arrow).tolist() == bits[start:]
    assert from_numpy(np.array(bits, dtype=bool)).to_pylist() == bits


def test_what_cannot_cross() -> None:
    with pytest.raises(ValueError, match="1 nulls"):
        to_numpy(pa.array([1, None]))
    with pytest.raises(TypeError, match="string"):
        to_numpy(pa.array(["a"]))
    with pytest.raises(TypeError, match="object"):
        from_numpy(np.array(["a"], dtype=object))
    with pytest.raises(ValueError, match="one-dimensional"):
        from_numpy(np.zeros((2, 2)))
    empty = to_numpy(pa.chunked_array([], pa.int64()))
    assert empty.dtype == np.int64 and len(empty) == 0
    # A strided view crosses as a contiguous copy.
    assert from_numpy(np.arange(10)[::3]).to_pylist() == [0, 3, 6, 9]
