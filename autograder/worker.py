"""The student side: a loop in the sandboxed child that runs cells and serves calls over the private pipes.

Requests (from the grader):  {"op": "hello"} | {"op": "run", "cell": n, "source": s}
                             | {"op": "get", "name": x} | {"op": "call", "name": x, "args": [..], "kwargs": {..}}
Replies:                     {"ok": value} | {"callable": true} | {"missing": true}
                             | {"error": {"type": name, "message": text, "where": "cell 3, line 2, in f"}}
Nothing here is trusted by the grader: student code shares this process and may change any of it.
"""

from __future__ import annotations

import json
import sys
import traceback

from autograder import protocol, sandbox

__all__ = ["main"]


def _error(error: BaseException) -> dict:
    try:
        message = str(error)[:2000]
    except Exception:
        message = "(the exception's message could not be printed)"
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith("<cell ")]
    where = ", ".join(f"{f.filename[1:-1]}, line {f.lineno}, in {f.name}" for f in frames[-2:])
    if isinstance(error, SystemExit):
        message = f"the code called sys.exit({message})"
    return {"error": {"type": type(error).__name__, "message": message, "where": where}}


def _handle(request: dict, namespace: dict) -> dict:
    op, name = request.get("op"), request.get("name")
    if op == "run":
        exec(compile(request["source"], f"<cell {request['cell']}>", "exec"), namespace)
        return {"ok": None}
    if name not in namespace:
        return {"missing": True}
    if op == "get":
        return {"callable": True} if callable(namespace[name]) else {"ok": namespace[name]}
    return {"ok": namespace[name](*request["args"], **request["kwargs"])}


def _check_while_grading(*args: object, **kwargs: object) -> bool:
    """Stands in for ``autograder.check`` in a notebook being graded: the grader runs every check itself."""
    print("check() skipped: this notebook is being graded")
    return True


def main() -> None:
    config = json.loads(sys.argv[1])
    fd_in, fd_out = config["in"], config["out"]
    try:
        protections = sandbox.enter(config)
    except Exception as error:  # tell the grader why, rather than dying without a word
        protocol.recv(fd_in)
        protocol.send(fd_out, protocol.encode({"error": {"type": "SandboxError", "message": str(error), "where": ""}}))
        return
    sys.modules["autograder"].check = _check_while_grading  # `from autograder import check` in a notebook
    import numpy  # noqa: F401  (loaded once here so that its import time is not charged to the first cell)

    namespace: dict = {"__name__": "__main__"}
    while True:
        try:
            request = protocol.decode(protocol.recv(fd_in))
        except protocol.ChildGone:
            return  # the grader closed the channel
        try:
            reply = {"ok": protections} if request.get("op") == "hello" else _handle(request, namespace)
        except BaseException as error:  # SystemExit and KeyboardInterrupt from student code are errors too
            reply = _error(error)
        try:
            frames = protocol.encode(reply)
        except BaseException as error:
            frames = protocol.encode({"error": {"type": "NotData", "message": str(error), "where": ""}})
        protocol.send(fd_out, frames)
