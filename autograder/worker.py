"""The student side: a loop in the sandboxed child that runs cells and serves calls over the private pipes.

Requests (from the grader):  {"op": "hello", "files": {name: uint8 array}} | {"op": "run", "cell": n, "source": s}
                             | {"op": "get", "name": x, "handle": h}
                             | {"op": "call", "name": x, "handle": h, "args": [..], "kwargs": {..},
                                "return_args": bool, "as_handle": bool}
                             | {"op": "parameters", "handle": h} | {"op": "load_weights", "handle": h, "arrays": {..}}
Replies:                     {"ok": value} | {"callable": true} | {"missing": true}
                             | {"ok": {"result": value, "args": (..), "kwargs": {..}}}  (a call with return_args)
                             | {"error": {"type": name, "message": text, "where": "cell 3, line 2, in f"}}

``handle`` (optional, a ``HandleRef``) names an object this process keeps: ``get``/``call`` then read or call its
attribute ``name``, or with ``name`` None call the object itself. Objects are kept (and a ``HandleRef`` replied
instead of the object) for the result of calling a class (``student.ResidualBlock(64, 128)``), for a call with
``as_handle``, for a ``get`` of a value that is not data (a trained ``model``), and when a call returns an object kept
already (``model.eval()`` returns the model). Any other result that is not data is refused, as before.
``hello`` writes the assignment's data files into the working folder, so cells open them by name.
Tensors in arguments arrive as tensors (torch is imported only when one arrives) and results' tensors leave as arrays.
Nothing here is trusted by the grader: student code shares this process and may change any of it.
"""

from __future__ import annotations

import errno
import json
import linecache
import os
import sys
import traceback
import types
from typing import Any

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
                    "write the code the question asks for yourself", name=fullname)
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


def _hit_memory_limit_on_import(error: BaseException) -> bool:
    """A shared library that could not be mapped: RLIMIT_AS is below what the library maps (torch: about 3 GiB)."""
    text = str(error)
    return isinstance(error, ImportError) and ("failed to map segment" in text or "cannot allocate memory" in text)


def _error(error: BaseException, max_processes: int, memory_mb: int = 0) -> dict:
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
    if _hit_memory_limit_on_import(error):
        message += (f" (the library needs more address space than the grader's memory limit of {memory_mb} MiB allows: "
                    "the assignment's memory_mb is too small for it; PyTorch needs memory_mb = 4096)")
    return {"error": {"type": type(error).__name__, "message": message, "where": where}}


_FUNCTIONS = (types.FunctionType, types.MethodType, types.BuiltinFunctionType, types.BuiltinMethodType,
              types.MethodWrapperType, types.WrapperDescriptorType, type)


class _Objects:
    """The objects the grader holds handles to: id -> object, and back (so ``model.eval()`` maps to its handle)."""

    def __init__(self) -> None:
        self.by_id: dict[int, Any] = {}
        self.ids: dict[int, int] = {}  # id(object) -> handle; the object is kept alive in by_id, so id() stays unique

    def keep(self, value: Any) -> protocol.HandleRef:
        if id(value) not in self.ids:
            self.ids[id(value)] = len(self.by_id)
            self.by_id[len(self.by_id)] = value
        return protocol.HandleRef(self.ids[id(value)])

    def known(self, value: Any) -> protocol.HandleRef | None:
        handle = self.ids.get(id(value))
        return protocol.HandleRef(handle) if handle is not None and self.by_id[handle] is value else None

    def refer(self, value: Any) -> Any:
        """The reverse of ``resolve``: kept objects inside value (arguments after a call) become their handles."""
        if self.known(value) is not None:
            return self.known(value)
        if type(value) in (list, tuple):
            return type(value)(self.refer(v) for v in value)
        if type(value) is dict:
            return {k: self.refer(v) for k, v in value.items()}
        return value

    def resolve(self, value: Any) -> Any:
        """Arguments with every HandleRef replaced by its object."""
        if type(value) is protocol.HandleRef:
            if value.id not in self.by_id:
                raise LookupError(f"no object with handle {value.id} in this process")
            return self.by_id[value.id]
        if type(value) in (list, tuple):
            return type(value)(self.resolve(v) for v in value)
        if type(value) is dict:
            return {k: self.resolve(v) for k, v in value.items()}
        return value


class _Missing(Exception):
    pass


def _target(request: dict, namespace: dict, objects: _Objects) -> Any:
    name = request.get("name")
    if request.get("handle") is None:
        if name not in namespace:
            raise _Missing()
        return namespace[name]
    owner = objects.resolve(request["handle"])
    return owner if name is None else getattr(owner, name)


def _is_data(value: Any) -> bool:
    try:
        protocol.encode(value)
    except TypeError:
        return False
    return True


def _state_shapes(module: Any) -> dict:
    """``{name: (shape, dtype)}`` of a module's state_dict (parameters and buffers such as running means)."""
    return {k: (tuple(v.shape), str(v.dtype).removeprefix("torch.")) for k, v in module.state_dict().items()}


def _handle(request: dict, namespace: dict, objects: _Objects) -> dict:
    op = request.get("op")
    if op == "run":
        filename = f"<cell {request['cell']}>"
        source = request["source"]
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # lines in tracebacks
        exec(compile(source, filename, "exec"), namespace)
        return {"ok": None}
    try:
        target = _target(request, namespace, objects)
    except _Missing:
        return {"missing": True}
    if op == "get":
        if isinstance(target, _FUNCTIONS) or (callable(target) and type(target).__module__ == "functools"):
            return {"callable": True}
        return {"ok": target if _is_data(target) else objects.keep(target)}
    if op == "parameters":  # PyTorch modules: what a test compares with torchvision's counts and shapes
        return {"ok": {"parameters": [(n, tuple(p.shape), bool(p.requires_grad)) for n, p in target.named_parameters()],
                       "state": _state_shapes(target)}}
    if op == "load_weights":  # arrays the grader read from the student's .npz file (allow_pickle=False)
        import torch

        target.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in request["arrays"].items()}, strict=True)
        return {"ok": None}
    args, kwargs = objects.resolve(request["args"]), objects.resolve(request["kwargs"])
    result = target(*args, **kwargs)
    if request.get("as_handle") or isinstance(target, type):  # a class made an object: keep it here
        result = objects.keep(result)
    elif objects.known(result) is not None:
        result = objects.known(result)
    if request.get("return_args"):
        # The arguments as the function left them: the grader sees in-place changes of its inputs.
        return {"ok": {"result": result, "args": objects.refer(tuple(args)), "kwargs": objects.refer(kwargs)}}
    return {"ok": result}


def _as_tensor(array: Any, dtype: str) -> Any:
    import torch  # only when a test passed a tensor: NumPy assignments never pay for importing torch

    return torch.from_numpy(array.copy()).to(getattr(torch, dtype))


def _write_files(files: dict) -> None:
    """The assignment's data files (name -> bytes as a uint8 array) into the working folder, before any cell runs."""
    for name, data in files.items():
        if os.path.basename(name) != name or name.startswith("."):
            raise ValueError(f"files: expected plain file names, got {name!r}")
        with open(name, "wb") as f:
            f.write(data.tobytes())


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
    objects = _Objects()
    while True:
        try:
            frames = protocol.recv(fd_in)
        except protocol.ChildGone:
            return  # the grader closed the channel
        try:
            request = protocol.decode(frames, tensor=_as_tensor)
            if request.get("op") == "hello":
                _write_files(request.get("files") or {})
                reply = {"ok": protections}
            else:
                reply = _handle(request, namespace, objects)
        except BaseException as error:  # SystemExit and KeyboardInterrupt from student code are errors too
            reply = _error(error, max_processes, config["limits"]["memory_mb"])
        try:
            frames = protocol.encode(reply)
        except BaseException as error:
            frames = protocol.encode({"error": {"type": "NotData", "message": str(error), "where": ""}})
        protocol.send(fd_out, frames)
