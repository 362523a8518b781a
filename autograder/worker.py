"""The student side: a loop in the sandboxed child that runs cells and serves calls over the private pipes.

Requests (from the grader):  {"op": "hello"} | {"op": "run", "cell": n, "source": s}
                             | {"op": "get", "name": x}
                             | {"op": "call", "name": x, "args": [..], "kwargs": {..}, "return_args": bool}
Replies:                     {"ok": value} | {"callable": true} | {"missing": true}
                             | {"ok": {"result": value, "args": (..), "kwargs": {..}}}  (a call with return_args)
                             | {"error": {"type": name, "message": text, "where": "cell 3, line 2, in f"}}
Nothing here is trusted by the grader: student code shares this process and may change any of it.
"""

from __future__ import annotations

import errno
import json
import linecache
import sys
import traceback

from autograder import protocol, sandbox

__all__ = ["main", "ForbiddenImportError", "MAX_ERROR_CHARS"]

MAX_ERROR_CHARS = 2000  # of an exception's message; the grader shortens it further for feedback
# Functions that start processes: an EAGAIN raised inside them means the process limit (RLIMIT_NPROC) was hit.
_PROCESS_STARTERS = {"fork", "_fork_exec", "_execute_child", "posix_spawn", "posix_spawnp", "forkpty", "_launch",
                     "_posix_spawn", "system"}


class ForbiddenImportError(ImportError):
    """Student code imported a module the assignment forbids (``forbidden_imports`` in assignment.toml)."""


class _ForbiddenImports:
    """A meta-path finder that refuses the forbidden modules and their submodules: it sees every ``import x``,
    ``from x import y``, ``importlib.import_module`` and ``__import__`` of a module not imported yet."""

    def __init__(self, names: list[str]) -> None:
        self.names = names

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        for name in self.names:
            if fullname == name or fullname.startswith(name + "."):
                raise ForbiddenImportError(
                    f"this assignment does not allow importing {name} (forbidden_imports in assignment.toml): "
                    "write the code the question asks for yourself, with NumPy", name=fullname)
        return None


def _forbid_imports(names: list[str]) -> None:
    for module in [m for m in sys.modules if any(m == n or m.startswith(n + ".") for n in names)]:
        del sys.modules[module]  # imported before student code ran: forget it, so importing it again is refused
    sys.meta_path.insert(0, _ForbiddenImports(names))


def _hit_process_limit(error: BaseException) -> bool:
    if isinstance(error, RuntimeError) and "can't start new thread" in str(error):
        return True
    if not isinstance(error, OSError) or error.errno != errno.EAGAIN:
        return False
    frames = traceback.extract_tb(error.__traceback__)
    return any(f.name in _PROCESS_STARTERS for f in frames) or \
        any(word in (frames[-1].line or "") for word in ("fork", "Popen", "spawn", "Process", "system"))


def _error(error: BaseException, max_processes: int) -> dict:
    try:
        message = str(error)[:MAX_ERROR_CHARS]
    except Exception:
        message = "(the exception's message could not be printed)"
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith("<cell ")]
    where = ", ".join(f"{f.filename[1:-1]}, line {f.lineno}, in {f.name}" for f in frames[-2:])
    if isinstance(error, SystemExit):
        message = f"the code called sys.exit({message})"
    if _hit_process_limit(error):
        message += f" ({sandbox.describe_process_limit(max_processes)})"
    return {"error": {"type": type(error).__name__, "message": message, "where": where}}


def _handle(request: dict, namespace: dict) -> dict:
    op, name = request.get("op"), request.get("name")
    if op == "run":
        filename = f"<cell {request['cell']}>"
        source = request["source"]
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # lines in tracebacks
        exec(compile(source, filename, "exec"), namespace)
        return {"ok": None}
    if name not in namespace:
        return {"missing": True}
    if op == "get":
        return {"callable": True} if callable(namespace[name]) else {"ok": namespace[name]}
    args, kwargs = request["args"], request["kwargs"]
    result = namespace[name](*args, **kwargs)
    if request.get("return_args"):
        # The arguments as the function left them: the grader sees in-place changes of its inputs.
        return {"ok": {"result": result, "args": tuple(args), "kwargs": kwargs}}
    return {"ok": result}


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

    if config.get("forbidden_imports"):
        _forbid_imports(config["forbidden_imports"])
    max_processes = config["limits"]["max_processes"]

    namespace: dict = {"__name__": "__main__"}
    while True:
        try:
            request = protocol.decode(protocol.recv(fd_in))
        except protocol.ChildGone:
            return  # the grader closed the channel
        try:
            reply = {"ok": protections} if request.get("op") == "hello" else _handle(request, namespace)
        except BaseException as error:  # SystemExit and KeyboardInterrupt from student code are errors too
            reply = _error(error, max_processes)
        try:
            frames = protocol.encode(reply)
        except BaseException as error:
            frames = protocol.encode({"error": {"type": "NotData", "message": str(error), "where": ""}})
        protocol.send(fd_out, frames)
