"""Vectorised look-ups between tables: positions of ids in an index, hashed once per pair of tables.

The case view and its law columns both need every charge's and payment's household position; these helpers
compute it with Arrow (string ids) or by sorting (int64 keys), and keep the codes of an unchanged pair of tables.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

MEMORY_SLOTS = 8
_lock = threading.Lock()


def index_of(index: pd.Index | np.ndarray, values: pd.Series | np.ndarray) -> np.ndarray:
    """``pd.Index(index).get_indexer(values)`` (position, -1 when absent) for a unique ``index``.

    String ids (the ledgers' household ids, object dtype) are hashed by Arrow, about twice as fast as pandas'
    object hash table on a few million rows; other dtypes go through pandas.
    """
    idx = index if isinstance(index, pd.Index) else pd.Index(index)
    keys = idx.to_numpy()
    vals = np.asarray(values)
    if keys.dtype == object and vals.dtype == object and idx.is_unique:
        try:
            found = pc.index_in(pa.array(vals, type=pa.string(), from_pandas=True),
                                value_set=pa.array(keys, type=pa.string(), from_pandas=True))
            return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.intp)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass  # not all strings: pandas compares any objects
    return idx.get_indexer(vals)


_codes_memo: OrderedDict[tuple[int, int, int, int, int], tuple[weakref.ref, weakref.ref, np.ndarray]] = OrderedDict()


def _column_key(frame: pd.DataFrame, column: str) -> tuple[int, int]:
    values = frame[column].to_numpy()
    return values.__array_interface__["data"][0], len(values)


def household_codes(frame: pd.DataFrame, households: pd.DataFrame, column: str = "household_id") -> np.ndarray | None:
    """Each row's position in ``households`` (-1: unknown household), hashed once per pair of tables.

    The case view and its law columns both need the codes of the charges and payments; this keeps them for
    the same (unchanged) table objects. ``None`` when the households' ids are not unique strings (callers then
    use their own lookup, which reports that).
    """
    ids = households[column].to_numpy()
    vals = frame[column].to_numpy()
    if ids.dtype != object or vals.dtype != object:
        return None
    key = (id(frame), id(households), *_column_key(frame, column), _column_key(households, column)[0])
    with _lock:
        hit = _codes_memo.get(key)
        if hit is not None and hit[0]() is frame and hit[1]() is households:
            _codes_memo.move_to_end(key)
            return hit[2]
    index = pd.Index(ids)
    if not index.is_unique:
        return None
    codes = index_of(index, vals)
    codes.setflags(write=False)
    with _lock:
        _codes_memo[key] = (weakref.ref(frame), weakref.ref(households), codes)
        while len(_codes_memo) > MEMORY_SLOTS:
            _codes_memo.popitem(last=False)
    return codes


def int_index_of(keys: np.ndarray, values: np.ndarray) -> np.ndarray | None:
    """Positions of int64 ``values`` in int64 ``keys`` (-1 when absent) by sorting, cheaper than pandas' hash
    index on millions of keys; ``None`` when ``keys`` has duplicates."""
    keys = np.asarray(keys, dtype=np.int64)
    values = np.asarray(values, dtype=np.int64)
    if not len(keys):
        return np.full(len(values), -1, dtype=np.intp)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    if (ordered[1:] == ordered[:-1]).any():
        return None
    pos = np.minimum(np.searchsorted(ordered, values), len(ordered) - 1)
    return np.where(ordered[pos] == values, order[pos], -1).astype(np.intp)
