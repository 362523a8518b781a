"""The data-only wire format: what crosses between the student's process and the grader."""

import io
import json
import os

import numpy as np
import pytest

from autograder import protocol


def roundtrip(value):
    return protocol.decode(protocol.encode(value))


def test_roundtrip_keeps_types_and_values():
    value = {"a": (1, 2.5, "s", None, True), "b": [np.arange(6.0).reshape(2, 3)], "c": np.float32(1.5)}
    back = roundtrip(value)
    assert back["a"] == (1, 2.5, "s", None, True)
    np.testing.assert_array_equal(back["b"][0], np.arange(6.0).reshape(2, 3))
    assert back["c"].dtype == np.float32 and back["c"] == 1.5


def test_always_equal_subclass_becomes_plain_array():
    class AlwaysEqual(np.ndarray):
        def __eq__(self, other):
            return True

    fake = np.zeros(3).view(AlwaysEqual)
    back = roundtrip(fake)
    assert type(back) is np.ndarray
    assert not np.array_equal(back, [1.0, 2.0, 3.0])


def test_objects_that_are_not_data_are_rejected():
    class Anything:
        def __eq__(self, other):
            return True

    with pytest.raises(TypeError, match="Anything is not data"):
        protocol.encode(Anything())
    with pytest.raises(TypeError, match="dtype object is not data"):
        protocol.encode(np.array([Anything()], dtype=object))


def test_decode_never_unpickles():
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    frames = [json.dumps({"value": {"__nd__": 0}, "arrays": 1}).encode(), buffer.getvalue()]
    with pytest.raises(protocol.ProtocolError, match="could not be read"):
        protocol.decode(frames)


@pytest.mark.parametrize("document", [b"not json", b'{"value": {"__nd__": 3}, "arrays": 0}', b'{"value": {"x": 1}}'])
def test_decode_rejects_forged_messages(document):
    with pytest.raises(protocol.ProtocolError):
        protocol.decode([document])


def test_recv_enforces_the_size_limit():
    read, write = os.pipe()
    try:
        protocol.send(write, protocol.encode(np.zeros(1000)))
        with pytest.raises(protocol.ProtocolError, match="larger than"):
            protocol.recv(read, limit=2000)
    finally:
        os.close(read)
        os.close(write)
