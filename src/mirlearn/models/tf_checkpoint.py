"""Read the tensors of a TensorFlow checkpoint with numpy: no TensorFlow, no code run.

A TF checkpoint (``PREFIX.index`` + ``PREFIX.data-00000-of-00001``) is a *tensor bundle*: the
index is a LevelDB-format table (sorted keys, prefix-compressed, in blocks) mapping each
variable's name to a ``BundleEntryProto`` (dtype, shape, shard, byte offset and size); the data
file holds the raw little-endian tensors. This module parses just that: the table's footer,
its index block, its data blocks, and the few protobuf fields of each entry, then reads each
tensor's bytes from the data file as a numpy array. Only uncompressed tables and numeric
dtypes are supported (what ``tf.train.Saver`` writes); anything else is a clear error.

References
----------
TensorFlow, ``tensorflow/core/util/tensor_bundle/tensor_bundle.proto`` and LevelDB's
``table_format.md``.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from ..errors import MirlearnError

__all__ = ["read_checkpoint", "CheckpointError"]

_MAGIC = 0xDB4775248B80FB57
#: TF's DataType enum -> numpy dtype (the numeric ones)
_DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8, 5: np.int16, 6: np.int8, 9: np.int64, 10: np.bool_, 19: np.float16}


class CheckpointError(MirlearnError):
    """A file that is not a TensorFlow tensor bundle this reader understands."""


def _varint(buf, pos):
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _block_entries(buf):
    """(key, value) pairs of one LevelDB block (its restart array at the end)."""
    n_restarts = struct.unpack_from("<I", buf, len(buf) - 4)[0]
    end = len(buf) - 4 - 4 * n_restarts
    pos, key = 0, b""
    while pos < end:
        shared, pos = _varint(buf, pos)
        non_shared, pos = _varint(buf, pos)
        value_len, pos = _varint(buf, pos)
        key = key[:shared] + buf[pos:pos + non_shared]
        pos += non_shared
        yield key, buf[pos:pos + value_len]
        pos += value_len


def _read_block(data, handle):
    offset, pos = _varint(handle, 0)
    size, _ = _varint(handle, pos)
    if data[offset + size] != 0:
        raise CheckpointError("the checkpoint index uses a compressed block; only uncompressed tables are supported")
    return data[offset:offset + size]


def _fields(buf):
    """Protobuf wire format: ``{field: [values]}`` (varints as int, length-delimited as bytes)."""
    out, pos = {}, 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            n, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        else:
            raise CheckpointError(f"unexpected protobuf wire type {wire}")
        out.setdefault(field, []).append(value)
    return out


def _shape(buf):
    dims = _fields(buf).get(2, [])
    return tuple(_fields(d).get(1, [0])[0] for d in dims)


def read_checkpoint(prefix):
    """Every tensor of a TensorFlow checkpoint, as numpy arrays.

    Parameters
    ----------
    prefix : path-like
        The checkpoint prefix: ``PREFIX.index`` and ``PREFIX.data-00000-of-00001`` must exist
        (musicnn ships files named ``.index`` inside a folder: pass the folder's path
        followed by a separator, ``"MSD_musicnn/"``).

    Returns
    -------
    dict[str, np.ndarray]
        Variable name -> array, in the checkpoint's order (sorted by name).
    """
    prefix = str(prefix)
    index_file, data_file = Path(prefix + ".index"), Path(prefix + ".data-00000-of-00001")
    for f in (index_file, data_file):
        if not f.is_file():
            raise CheckpointError(f"{f} does not exist: not a single-shard TensorFlow checkpoint prefix")
    index = index_file.read_bytes()
    if len(index) < 48 or struct.unpack_from("<Q", index, len(index) - 8)[0] != _MAGIC:
        raise CheckpointError(f"{index_file} is not a LevelDB table (bad magic number)")
    footer = index[-48:]
    _, pos = _varint(footer, 0)  # metaindex handle: offset
    _, pos = _varint(footer, pos)  # and size
    index_block = _read_block(index, footer[pos:])
    entries = {}
    for _, handle in _block_entries(index_block):
        for key, value in _block_entries(_read_block(index, handle)):
            if key:  # the empty key holds the bundle's header
                entries[key.decode()] = _fields(value)
    data = np.memmap(data_file, dtype=np.uint8, mode="r")
    out = {}
    for name, f in entries.items():
        dtype = _DTYPES.get(f.get(1, [0])[0])
        if dtype is None and name == "_CHECKPOINTABLE_OBJECT_GRAPH":
            continue  # a SavedModel's object graph (a serialised proto), not a weight
        if dtype is None:
            raise CheckpointError(f"{name}: unsupported TensorFlow dtype {f.get(1, [0])[0]}")
        if f.get(3, [0])[0] != 0 or 7 in f:
            raise CheckpointError(f"{name}: sharded or sliced tensors are not supported")
        shape = _shape(f[2][0]) if 2 in f else ()
        offset, size = f.get(4, [0])[0], f.get(5, [0])[0]
        arr = np.frombuffer(data[offset:offset + size].tobytes(), dtype=np.dtype(dtype).newbyteorder("<"))
        if arr.size != int(np.prod(shape)):
            raise CheckpointError(f"{name}: {arr.size} values for shape {shape}")
        out[name] = arr.reshape(shape)
    return out
