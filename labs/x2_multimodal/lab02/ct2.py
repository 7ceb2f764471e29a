"""Read a CTranslate2 `model.bin` with nothing but `struct` and NumPy.

The layout (CTranslate2's `ModelSpec._serialize`, binary version 6), all little-endian:

    uint32 binary_version | string spec_name | uint32 revision | uint32 n_variables
    n_variables x (string name | uint8 rank | rank x uint32 dim | uint8 dtype
                   | uint32 n_bytes | bytes)
    uint32 n_aliases
    n_aliases x (string alias | string target)

A string is a uint16 length (counting a trailing NUL) then the bytes. Scalar settings
(`decoder/num_heads`, `decoder/pre_norm`, ...) are stored as rank-0 variables, and tied
weights as aliases (`decoder/projection/weight -> decoder/embeddings/weight`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SUPPORTED_BINARY_VERSIONS = (5, 6)
# CTranslate2's DataType enum, in order.
DTYPES: dict[int, np.dtype | None] = {
    0: np.dtype("<f4"),
    1: np.dtype("i1"),
    2: np.dtype("<i2"),
    3: np.dtype("<i4"),
    4: np.dtype("<f2"),
    5: None,  # bfloat16: NumPy has no such dtype
}


@dataclass
class Ct2Model:
    binary_version: int
    spec: str
    revision: int
    variables: dict[str, np.ndarray] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> np.ndarray:
        """A variable by name, following an alias."""
        return self.variables[self.aliases.get(name, name)]

    def scalar(self, name: str) -> int:
        value = self.get(name)
        if value.ndim != 0:
            raise ValueError(f"{name} has shape {value.shape}, expected a scalar setting")
        return int(value)


class Ct2FormatError(ValueError):
    pass


class _Reader:
    def __init__(self, data: bytes, path: Path):
        self.data, self.pos, self.path = memoryview(data), 0, path

    def unpack(self, fmt: str):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise Ct2FormatError(f"{self.path}: truncated at byte {self.pos} (wanted {size} more)")
        value = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return value[0] if len(value) == 1 else value

    def string(self) -> str:
        length = self.unpack("<H")
        raw = bytes(self.data[self.pos : self.pos + length])
        self.pos += length
        return raw.rstrip(b"\0").decode("utf-8")

    def raw(self, n: int) -> memoryview:
        if self.pos + n > len(self.data):
            raise Ct2FormatError(f"{self.path}: variable runs past the end of the file")
        view = self.data[self.pos : self.pos + n]
        self.pos += n
        return view


def read_ct2(path: str | Path) -> Ct2Model:
    """Parse `path` into a `Ct2Model`; arrays share the file's bytes (read-only)."""
    path = Path(path)
    reader = _Reader(path.read_bytes(), path)
    version = reader.unpack("<I")
    if version not in SUPPORTED_BINARY_VERSIONS:
        raise Ct2FormatError(
            f"{path}: binary version {version}; this reader knows {SUPPORTED_BINARY_VERSIONS}"
        )
    model = Ct2Model(version, reader.string(), reader.unpack("<I"))
    for _ in range(reader.unpack("<I")):
        name = reader.string()
        rank = reader.unpack("<B")
        shape = tuple(reader.unpack("<I") for _ in range(rank))
        dtype_id = reader.unpack("<B")
        n_bytes = reader.unpack("<I")
        dtype = DTYPES.get(dtype_id)
        if dtype is None:
            raise Ct2FormatError(
                f"{path}: variable {name} has dtype id {dtype_id}, which this "
                "reader cannot convert (known: float32, int8/16/32, float16)"
            )
        expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if n_bytes != expected:
            raise Ct2FormatError(
                f"{path}: variable {name} shape {shape} x {dtype} needs "
                f"{expected} bytes, the file says {n_bytes}"
            )
        model.variables[name] = np.frombuffer(reader.raw(n_bytes), dtype=dtype).reshape(shape)
    for _ in range(reader.unpack("<I")):
        alias = reader.string()
        model.aliases[alias] = reader.string()
    if reader.pos != len(reader.data):
        raise Ct2FormatError(f"{path}: {len(reader.data) - reader.pos} unexpected trailing bytes")
    return model
