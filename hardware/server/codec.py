"""msgpack with numpy arrays as plain data: never pickle, never an object dtype.

An array travels as ``{"__ndarray__": 1, "dtype": "<f4", "shape": [..], "data": bytes}``.
Decoding accepts only numeric and boolean dtypes and checks the byte count against the
shape, so a message can describe data but never code (openpi's rule; LeRobot's gRPC
server unpickles whatever reaches its port).
"""

from __future__ import annotations

import re
from typing import Any

import msgpack
import numpy as np
from actloop.control import ActionChunk, Observation

ALLOWED_KINDS = frozenset("biuf")  # bool, signed, unsigned, float
MAX_NDIM = 8
DTYPE_CODE = re.compile(r"[<>|=]?(b1|[iu][1248]|f[248])")


class CodecError(ValueError):
    """A message that is not a well-formed actloop message."""


def _encode_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in ALLOWED_KINDS:
            raise CodecError(f"refusing to send an array of dtype {obj.dtype} (numeric/bool only)")
        array = np.ascontiguousarray(obj)
        return {
            "__ndarray__": 1,
            "dtype": array.dtype.str,
            "shape": list(array.shape),
            "data": array.tobytes(),
        }
    if isinstance(obj, np.generic):
        return obj.item()
    raise CodecError(f"cannot encode {type(obj).__name__}")


def _decode_array(obj: dict) -> Any:
    if "__ndarray__" not in obj:
        return obj
    try:
        text = obj["dtype"]
        # Only plain numeric type codes reach np.dtype: it parses other strings (structured
        # specs, even Python literals), and the fuzzer found inputs that make it raise.
        dtype = np.dtype(text) if isinstance(text, str) and DTYPE_CODE.fullmatch(text) else None
        shape, data = obj["shape"], obj["data"]
    except (KeyError, TypeError) as exc:
        raise CodecError(f"malformed array header: {exc!r}") from None
    if dtype is None or dtype.kind not in ALLOWED_KINDS or dtype.hasobject:
        raise CodecError(f"refusing array dtype {obj.get('dtype')!r} (numeric/bool only)")
    if (
        not isinstance(shape, list)
        or len(shape) > MAX_NDIM
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
    ):
        raise CodecError(f"array shape must be a list of at most {MAX_NDIM} non-negative ints")
    if not isinstance(data, bytes) or len(data) != dtype.itemsize * int(
        np.prod(shape, dtype=object)
    ):
        raise CodecError(
            f"array data has {len(data) if isinstance(data, bytes) else '?'} bytes, "
            f"shape {shape} of {dtype} needs {dtype.itemsize * int(np.prod(shape, dtype=object))}"
        )
    return np.frombuffer(data, dtype=dtype).reshape(shape)


def _refuse_ext(code: int, data: bytes) -> Any:
    raise CodecError(f"msgpack extension type {code} is not accepted")


def packb(message: Any) -> bytes:
    return msgpack.packb(message, default=_encode_default, use_bin_type=True)


def unpackb(data: bytes, max_bytes: int = 16 << 20) -> Any:
    if not isinstance(data, (bytes, bytearray)):
        raise CodecError(f"expected a binary message, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise CodecError(f"message of {len(data)} bytes exceeds the {max_bytes}-byte limit")
    try:
        return msgpack.unpackb(
            data, object_hook=_decode_array, ext_hook=_refuse_ext, raw=False, strict_map_key=True
        )
    except CodecError:
        raise
    except (
        ValueError,
        TypeError,
        msgpack.exceptions.ExtraData,
        msgpack.exceptions.UnpackException,
        RecursionError,
        OverflowError,
    ) as exc:
        raise CodecError(f"not a valid msgpack message: {type(exc).__name__}: {exc}") from None


def observation_to_wire(obs: Observation) -> dict:
    return {
        "images": obs.images,
        "state": obs.state,
        "instruction": obs.instruction,
        "embodiment": obs.embodiment,
        "timestamp": obs.timestamp,
        "extras": obs.extras,
    }


def observation_from_wire(message: Any) -> Observation:
    if not isinstance(message, dict):
        raise CodecError("observation must be a map")
    try:
        images = {str(k): np.asarray(v) for k, v in _field(message, "images", dict).items()}
        extras = {str(k): np.asarray(v) for k, v in message.get("extras", {}).items()}
        return Observation(
            images,
            _array(message, "state"),
            message["instruction"],
            str(message["embodiment"]),
            float(message["timestamp"]),
            extras,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CodecError(f"bad observation: {exc}") from None


def chunk_to_wire(chunk: ActionChunk) -> dict:
    return {
        "actions": chunk.actions,
        "start_tick": chunk.start_tick,
        "dt": chunk.dt,
        "start_time": chunk.start_time,
    }


def chunk_from_wire(message: Any) -> ActionChunk:
    try:
        return ActionChunk(
            _array(message, "actions"),
            int(message["start_tick"]),
            float(message["dt"]),
            float(message.get("start_time", 0.0)),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CodecError(f"bad action chunk: {exc}") from None


def _field(message: dict, key: str, kind: type) -> Any:
    value = message[key]
    if not isinstance(value, kind):
        raise TypeError(f"{key} must be a {kind.__name__}, got {type(value).__name__}")
    return value


def _array(message: dict, key: str) -> np.ndarray:
    return _field(message, key, np.ndarray)
