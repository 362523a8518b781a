"""The data-only wire format between the grader and the sandboxed student process.

A message is a JSON document followed by zero or more NumPy arrays as ``.npy`` bytes, each sent as a frame
(4-byte big-endian length, then the bytes). Values that JSON cannot say exactly are tagged objects:

    {"__nd__": i}        the i-th array that follows
    {"__np__": i}        a NumPy scalar, sent as the i-th array with shape ()
    {"__tuple__": [..]}  a tuple
    {"__dict__": {..}}   a dict with string keys
    {"__tensor__": [i, "float32"]}  a torch tensor, sent as the i-th array with the tensor's dtype name
    {"__handle__": i}    a reference to the i-th object the student's process keeps (``HandleRef``): the object
                         itself never crosses, only this id, valid in the process that made it

Nothing is ever unpickled: arrays are read with ``allow_pickle=False`` and must have a numeric or bool dtype.
The grader treats every message from the child as untrusted data, so sizes, nesting and counts are bounded.
"""

from __future__ import annotations

import io
import json
import os
import select
import struct
import sys
import time
from typing import Any, Callable, NamedTuple

import numpy as np

__all__ = ["ProtocolError", "ChildGone", "HandleRef", "encode", "decode", "send", "recv", "is_tensor",
           "MAX_MESSAGE_BYTES", "TENSOR_DTYPES"]

MAX_MESSAGE_BYTES = 64 * 2**20  # one reply; a result bigger than this is not a sensible answer
MAX_ARRAYS = 1000
MAX_DEPTH = 32
ARRAY_KINDS = "biufc"  # bool, signed, unsigned, float, complex
_HEADER = struct.Struct(">I")
# torch dtypes a tensor may have on the wire -> the NumPy dtype kinds its array may have. bfloat16 travels as
# float32 (NumPy has no bfloat16) and is turned back on the other side.
TENSOR_DTYPES = {"float16": "f", "bfloat16": "f", "float32": "f", "float64": "f", "complex64": "c",
                 "complex128": "c", "uint8": "u", "int8": "i", "int16": "i", "int32": "i", "int64": "i", "bool": "b"}
MAX_HANDLES = 2**31


class HandleRef(NamedTuple):
    """A reference to an object that stays in the student's process (``testing.StudentObject`` wraps it)."""

    id: int


def is_tensor(value: Any) -> bool:
    """Whether value is a torch tensor, without importing torch: nothing can be a tensor until torch is imported."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, getattr(torch, "Tensor", ()))


def _tensor_array(tensor: Any) -> tuple[np.ndarray, str]:
    """A tensor's values as a plain array (on the CPU, detached) and its dtype name."""
    dtype = str(tensor.dtype).removeprefix("torch.")
    if dtype not in TENSOR_DTYPES:
        raise TypeError(f"a tensor of dtype {tensor.dtype} is not data: use a float, int or bool dtype")
    tensor = tensor.detach().cpu().resolve_conj().resolve_neg()
    if dtype == "bfloat16":
        tensor = tensor.float()
    return tensor.numpy(), dtype


class ProtocolError(Exception):
    """A message broke the format or its limits (a bug, or a student trying to forge one)."""


class ChildGone(Exception):
    """The other end closed the channel: the process exited or was killed."""


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def encode(value: Any) -> list[bytes]:
    """Turn a data value into frames; raise TypeError naming what is not data."""
    arrays: list[bytes] = []

    def walk(v: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise TypeError(f"the value is nested more than {MAX_DEPTH} levels deep")
        if v is None or type(v) in (bool, int, float, str):
            return v
        if isinstance(v, np.generic):
            return {"__np__": add_array(np.asarray(v))}
        if isinstance(v, np.ndarray):
            return {"__nd__": add_array(v)}
        if is_tensor(v):
            array, dtype = _tensor_array(v)
            return {"__tensor__": [add_array(array), dtype]}
        if type(v) is HandleRef:
            return {"__handle__": int(v.id)}
        if isinstance(v, int):  # subclasses are rebuilt as the plain type so their methods cannot travel
            return int(v)
        if isinstance(v, float):
            return float(v)
        if isinstance(v, str):
            return str(v)
        if isinstance(v, tuple):
            return {"__tuple__": [walk(x, depth + 1) for x in v]}
        if isinstance(v, list):
            return [walk(x, depth + 1) for x in v]
        if isinstance(v, dict):
            if not all(type(k) is str for k in v):
                raise TypeError("a dict can only be sent with string keys")
            return {"__dict__": {k: walk(x, depth + 1) for k, x in v.items()}}
        # Anything else (an object pretending to be an array, an ndarray subclass's base) becomes a plain array
        # when NumPy can make one with a numeric dtype; otherwise it is not data.
        try:
            array = np.asarray(v)
        except Exception:
            array = None
        if array is None or array.dtype.kind not in ARRAY_KINDS:
            raise TypeError(
                f"an object of type {type(v).__name__} is not data: return numbers, strings, lists, tuples, "
                "dicts or NumPy arrays of numbers"
            )
        return {"__nd__": add_array(array)}

    def add_array(array: np.ndarray) -> int:
        array = np.array(array, subok=False)  # a plain ndarray, never a subclass with its own __eq__
        if array.dtype.kind not in ARRAY_KINDS:
            raise TypeError(f"an array of dtype {array.dtype} is not data: use a numeric or bool dtype")
        arrays.append(_npy_bytes(array))
        return len(arrays) - 1

    document = json.dumps({"value": walk(value, 0), "arrays": len(arrays)}).encode()
    return [document, *arrays]


def decode(frames: list[bytes], tensor: Callable[[np.ndarray, str], Any] | None = None) -> Any:
    """Rebuild a value from frames, trusting nothing: plain ndarrays of numeric dtype only.

    A tensor arrives as its array, checked against its dtype name; ``tensor(array, dtype_name)`` (if given) turns it
    back into a tensor. A handle arrives as a ``HandleRef``."""
    try:
        document = json.loads(frames[0])
    except (ValueError, UnicodeDecodeError) as error:
        raise ProtocolError(f"the message is not valid JSON: {error}") from None
    if not isinstance(document, dict) or "value" not in document:
        raise ProtocolError("the message has no value")
    arrays = []
    for blob in frames[1:]:
        try:
            array = np.load(io.BytesIO(blob), allow_pickle=False)
        except Exception as error:
            raise ProtocolError(f"an array could not be read: {error}") from None
        if type(array) is not np.ndarray or array.dtype.kind not in ARRAY_KINDS:
            raise ProtocolError("an array does not have a numeric dtype")
        arrays.append(array)

    def array_at(i: Any) -> np.ndarray:
        if type(i) is not int or not 0 <= i < len(arrays):
            raise ProtocolError("an array reference points nowhere")
        return arrays[i]

    def walk(v: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise ProtocolError("the value is nested too deep")
        if v is None or type(v) in (bool, int, float, str):
            return v
        if type(v) is list:
            return [walk(x, depth + 1) for x in v]
        if type(v) is dict and len(v) == 1:
            (tag, inner), = v.items()
            if tag == "__nd__":
                return array_at(inner)
            if tag == "__np__":
                return array_at(inner)[()]
            if tag == "__tensor__" and type(inner) is list and len(inner) == 2 and inner[1] in TENSOR_DTYPES:
                array = array_at(inner[0])
                if array.dtype.kind != TENSOR_DTYPES[inner[1]]:
                    raise ProtocolError(f"a {inner[1]} tensor arrived as an array of dtype {array.dtype}")
                return tensor(array, inner[1]) if tensor is not None else array
            if tag == "__handle__" and type(inner) is int and 0 <= inner < MAX_HANDLES:
                return HandleRef(inner)
            if tag == "__tuple__" and type(inner) is list:
                return tuple(walk(x, depth + 1) for x in inner)
            if tag == "__dict__" and type(inner) is dict:
                return {k: walk(x, depth + 1) for k, x in inner.items()}
        raise ProtocolError("the message holds a value of unknown form")

    return walk(document["value"], 0)


def send(fd: int, frames: list[bytes], deadline: float | None = None) -> None:
    """Write frames to fd; with a deadline the fd must be non-blocking and the write stops at it."""
    data = b"".join(_HEADER.pack(len(frame)) + frame for frame in frames)
    view = memoryview(data)
    while view:
        if deadline is not None:
            _wait(fd, deadline, write=True)
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            continue
        except BrokenPipeError:
            raise ChildGone() from None
        view = view[written:]


def recv(fd: int, deadline: float | None = None, limit: int = MAX_MESSAGE_BYTES) -> list[bytes]:
    """Read one message's frames from fd; raise TimeoutError at the deadline, ChildGone at end of file."""
    budget = [limit]

    def frame() -> bytes:
        (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
        if size > budget[0]:
            raise ProtocolError(f"the message is larger than {limit // 2**20} MiB")
        budget[0] -= size
        return _read_exact(fd, size, deadline)

    first = frame()
    try:
        count = json.loads(first).get("arrays", 0)
    except (ValueError, UnicodeDecodeError, AttributeError):
        raise ProtocolError("the message is not valid JSON") from None
    if type(count) is not int or not 0 <= count <= MAX_ARRAYS:
        raise ProtocolError("the message announces an invalid number of arrays")
    return [first] + [frame() for _ in range(count)]


def _wait(fd: int, deadline: float, write: bool = False) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError()
    ready = select.select([], [fd], [], remaining) if write else select.select([fd], [], [], remaining)
    if not any(ready):
        raise TimeoutError()


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks = []
    while size:
        if deadline is not None:
            _wait(fd, deadline)
        try:
            chunk = os.read(fd, min(size, 2**20))
        except BlockingIOError:
            continue
        if not chunk:
            raise ChildGone()
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
