"""Turn a column (Python sequence, numpy array, pandas Series, pyarrow array) into one pyarrow array."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa


def is_missing(value: object) -> bool:
    """None, NaN, pandas.NA: an empty spreadsheet cell."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN
    except (TypeError, ValueError):  # pandas.NA and friends refuse to be compared
        return True


def as_arrow(values: object) -> pa.Array:
    """One contiguous, non-dictionary pyarrow array. Columns of mixed types (text and numbers, as
    spreadsheets produce) become text; NaN and NA become null."""
    import pyarrow as pa

    if isinstance(values, pa.Array | pa.ChunkedArray):
        arr = values
    else:
        try:
            arr = pa.array(values, from_pandas=True)
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            arr = pa.array(
                [None if is_missing(v) else v if isinstance(v, str) else str(v) for v in values],
                pa.string(),
            )
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    return arr


def reasons_by_distinct(values: object, check: Callable[[object], str | None]) -> list[str | None]:
    """``check`` applied once per distinct value of a column (pyarrow dictionary encoding, nulls
    included), its reasons taken back to the rows."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(as_arrow(values), null_encoding="encode")
    reasons = pa.array([check(v) for v in encoded.dictionary.to_pylist()], pa.string())
    return reasons.take(encoded.indices).to_pylist()
