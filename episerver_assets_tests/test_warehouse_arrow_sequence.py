"""ArrowSequence reads an Arrow column as a Python sequence: the same values, slices and iteration as the
list it replaces, Python values made only for the part read."""

from __future__ import annotations

import pyarrow as pa
import pytest

from episerver_assets.warehouse.arrow_sequence import ArrowSequence

VALUES = [f"v{i}" if i % 7 else None for i in range(25_003)]


@pytest.mark.parametrize("arrow", [pa.array(VALUES), pa.chunked_array([VALUES[:9_999], VALUES[9_999:]])],
                         ids=["array", "chunked"])
def test_it_reads_as_the_list_does(arrow):
    sequence = ArrowSequence(arrow)
    assert len(sequence) == len(VALUES)
    assert list(sequence) == VALUES
    for index in (0, 1, 9_998, 9_999, 10_000, -1, -len(VALUES)):
        assert sequence[index] == VALUES[index]
    for window in (slice(0, 1000), slice(9_500, 10_500), slice(25_000, 26_000), slice(-3, None), slice(5, 5)):
        assert sequence[window] == VALUES[window]
    assert list(zip(sequence, ArrowSequence(arrow.slice(1)))) == list(zip(VALUES, VALUES[1:]))


def test_out_of_range_and_stepped_reads_are_refused():
    sequence = ArrowSequence(pa.array(["a", "b"]))
    with pytest.raises(IndexError):
        sequence[2]
    with pytest.raises(IndexError):
        sequence[-3]
    with pytest.raises(ValueError, match="step"):
        sequence[::2]
