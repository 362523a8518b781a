"""The sandboxed child process that runs a student's notebook code.

The grader (parent) starts a fresh Python process (never a fork of itself, so nothing of the grader's memory,
such as hidden tests, is in it). Before any student code runs, the child locks itself in (``enter``):

- its own session/process group (the parent kills the whole group), and a parent-death signal;
- when root: a new network namespace (no network) and mount namespace in which the assignment folder, the
  submissions, the output folder and any ``.git`` above them are covered by empty unreadable tmpfs mounts,
  and /tmp, /var/tmp, /dev/shm are fresh size-limited tmpfs; then it drops to an unprivileged uid unique to this
  child, so RLIMIT_NPROC counts only its own processes and the parent can kill every one of them by uid;
- when not root: a user+network namespace if the kernel allows it (no network), otherwise nothing more;
- resource limits: RLIMIT_AS (memory), RLIMIT_CPU, RLIMIT_NPROC, RLIMIT_FSIZE, RLIMIT_NOFILE, no core files;
- a private working directory, a minimal environment, no_new_privs (setuid programs gain nothing).

It then talks to the parent only through two private pipes (``protocol``); its stdout/stderr go to a capture file.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, NamedTuple

from autograder import protocol

__all__ = ["Limits", "Child", "enter", "describe_exit", "describe_process_limit"]

UID_BASE = 1_000_000_000  # child uids are UID_BASE + the grader process's pid: unique per running child
FILE_MB = 64
USE_NAMESPACES = True  # False only to test the fallback; where the OS refuses namespaces the child falls back itself
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)
# The child imports only the worker's modules: a bare package object stands in for autograder/__init__.py,
# whose imports (dataclasses, tests, reports) would cost every submission a tenth of a second for nothing.
_BOOT = (f"import sys, types; package = types.ModuleType('autograder'); package.__path__ = [{_PACKAGE_ROOT!r} + "
         "'/autograder']; sys.modules['autograder'] = package; from autograder.worker import main; main()")
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x10000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 0x1000, 0x4000, 0x40000
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38


class Limits(NamedTuple):
    """A submission's limits: the defaults live here only; assignment.toml overrides them (docs/assignment-format.md).

    ``call_timeout`` left at None means the smaller of ``DEFAULT_CALL_TIMEOUT`` and ``timeout``."""

    timeout: float = 60.0  # wall-clock seconds for a whole submission (running it and all its tests)
    call_timeout: float | None = None  # wall-clock seconds for one cell or one call of a student function
    cpu_time: int = 60  # RLIMIT_CPU, seconds
    memory_mb: int = 1024  # RLIMIT_AS
    max_processes: int = 64  # RLIMIT_NPROC

    def resolved(self) -> "Limits":
        """The same limits with ``call_timeout`` filled in."""
        if self.call_timeout is not None:
            return self
        return self._replace(call_timeout=min(DEFAULT_CALL_TIMEOUT, float(self.timeout)))


DEFAULT_CALL_TIMEOUT = 30.0
OPEN_FILES = 256  # RLIMIT_NOFILE
OUTPUT_TAIL_BYTES = 2000  # how much of the notebook's printed output a result keeps (its end)


def _env(home: str, allow_gpu: bool = False) -> dict[str, str]:
    # Nothing from the grader's environment: no tokens, no paths to the assignment. One BLAS thread each,
    # because submissions are graded in parallel and the address-space limit must not be eaten by thread stacks.
    # No GPU unless the assignment allows one (allow_gpu): then the grader's CUDA_VISIBLE_DEVICES (if set) is kept.
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "TMPDIR": "/tmp", "LANG": "C.UTF-8",
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg",
           "AUTOGRADER_SANDBOX": "1", "CUDA_VISIBLE_DEVICES": ""}
    if allow_gpu:
        del env["CUDA_VISIBLE_DEVICES"]
        if "CUDA_VISIBLE_DEVICES" in os.environ:
            env["CUDA_VISIBLE_DEVICES"] = os.environ["CUDA_VISIBLE_DEVICES"]
    return env


class Child:
    """A running sandboxed worker. ``request`` sends one message and returns the decoded reply; the first
    request, ``{"op": "hello"}``, answers with the list of protections that applied."""

    def __init__(self, limits: Limits, masks: list[Path], forbidden_imports: tuple[str, ...] = (),
                 allow_gpu: bool = False) -> None:
        self.uid = UID_BASE + os.getpid() if os.geteuid() == 0 else None
        self.workdir = tempfile.mkdtemp(prefix="autograder-")
        if self.uid is not None:
            os.chown(self.workdir, self.uid, self.uid)
        self.output = tempfile.TemporaryFile()
        to_child, self._to_child = os.pipe()
        self._from_child, from_child = os.pipe()
        config = {"in": to_child, "out": from_child, "uid": self.uid, "parent": os.getpid(), "workdir": self.workdir,
                  "masks": [str(m) for m in masks], "limits": limits._asdict(), "namespaces": USE_NAMESPACES,
                  "forbidden_imports": list(forbidden_imports)}
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-B", "-u", "-c", _BOOT, json.dumps(config)], stdin=subprocess.DEVNULL,
            stdout=self.output, stderr=subprocess.STDOUT, pass_fds=(to_child, from_child), cwd=self.workdir,
            env=_env(self.workdir, allow_gpu), start_new_session=True)
        os.close(to_child)
        os.close(from_child)
        os.set_blocking(self._to_child, False)

    def request(self, message: dict, deadline: float, tensor: Callable | None = None) -> object:
        """Send a message, wait for the reply until deadline (TimeoutError), or ChildGone/ProtocolError.
        ``tensor`` turns tensors in the reply back into tensors (``protocol.decode``); without it they are arrays."""
        protocol.send(self._to_child, protocol.encode(message), deadline)
        return protocol.decode(protocol.recv(self._from_child, deadline), tensor)

    def output_size(self) -> int:
        """How many bytes the child has printed so far (a mark for ``output_tail``)."""
        return os.fstat(self.output.fileno()).st_size

    def output_tail(self, size: int = OUTPUT_TAIL_BYTES, end: int | None = None) -> str:
        """The last ``size`` bytes the child printed, up to the mark ``end`` (default: everything)."""
        end = self.output_size() if end is None else end
        self.output.seek(max(0, end - size))
        return self.output.read(end - max(0, end - size)).decode(errors="replace")

    def close(self) -> int:
        """Kill the child and everything it started, clean up; return its exit status (negative: a signal)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        status = self.process.wait()
        if self.uid is not None:
            _kill_uid(self.uid)  # children that called setsid() left the process group but not the uid
        for fd in (self._to_child, self._from_child):
            os.close(fd)
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.output.close()
        return status


def _kill_uid(uid: int) -> None:
    for _ in range(100):  # a fork bomb may fork between our kills; the NPROC limit bounds how many there are
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit() and _owner(p) == uid]
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.01)


def _owner(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def describe_exit(status: int, limits: Limits) -> str:
    """Say in a student's terms why the process ended."""
    if status == -signal.SIGXCPU:
        return f"used more than its {limits.cpu_time} s of CPU time"
    if status == -signal.SIGXFSZ:
        return f"wrote a file larger than {FILE_MB} MiB"
    if status < 0:
        return f"was killed by signal {signal.Signals(-status).name}"
    return f"exited with code {status} (did the code call os._exit() or crash?)"


def describe_process_limit(max_processes: int) -> str:
    """Say in a student's terms that starting a process or thread failed because of RLIMIT_NPROC."""
    return (f"could not start another process or thread: the notebook may run at most {max_processes} processes "
            "and threads at once (the grader's process limit), and it reached that limit")


# ---- child side: runs in the fresh process before any student code ----

def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        raise OSError(ctypes.get_errno(), f"{what}: {os.strerror(ctypes.get_errno())}")


def _mount(libc: ctypes.CDLL, target: str, flags: int, data: str) -> None:
    _check(libc.mount(b"tmpfs", target.encode(), b"tmpfs", flags, data.encode()), f"mount tmpfs on {target}")


def _root_namespaces(libc: ctypes.CDLL, config: dict) -> tuple[str, list[str]]:
    """New network and mount namespaces; mask paths; fresh /tmp. Return the working dir and what applied."""
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare")
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make mounts private")
    applied = ["no network (own network namespace)"]
    for path in config["masks"]:
        _mount(libc, path, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=000")
        applied.append(f"hidden from student code: {path}")
    os.rmdir(config["workdir"])  # unused here: /tmp/work replaces it, and a killed grader leaves nothing behind
    python = _python_paths()
    for path in ("/tmp", "/var/tmp", "/dev/shm"):
        if os.path.isdir(path):
            kept = _cover(libc, path, f"size={FILE_MB}m,mode=1777", python)
            if kept:  # e.g. a checkout with its virtual environment under /tmp
                applied.append(f"fresh {path}, with only {', '.join(kept)} kept from the old one")
    applied += _expose(libc, python)
    workdir = "/tmp/work"
    os.mkdir(workdir, 0o700)
    os.chown(workdir, config["uid"], config["uid"])
    applied.append(f"private size-limited /tmp ({FILE_MB} MiB)")
    return workdir, applied


def _python_paths() -> list[str]:
    """Folders the student's Python needs: its prefixes, sys.path, and the sources of editable installs
    (setuptools' editable finders map package names to folders outside sys.path)."""
    editable = [path for module in list(sys.modules.values()) if module.__name__.startswith("__editable___")
                for path in getattr(module, "MAPPING", {}).values()]
    return [p for p in {*sys.path, sys.prefix, sys.base_prefix, *editable} if os.path.isdir(p)]


def _private_ancestors(paths: list[str]) -> dict[str, list[str]]:
    """Map the topmost folder that others cannot enter (mode without o+x) to the given paths below it."""
    tops: dict[str, list[str]] = {}
    for path in sorted(os.path.realpath(p) for p in paths):
        blocked = [a for a in reversed(Path(path).parents) if not os.stat(a).st_mode & stat.S_IXOTH]
        if blocked:
            tops.setdefault(str(blocked[0]), []).append(path)
    return tops


def _expose(libc: ctypes.CDLL, paths: list[str]) -> list[str]:
    """Keep Python reachable for the unprivileged uid when an ancestor of it is private (a pyenv in /root, 0700):
    cover that ancestor with an empty tmpfs and bind only the needed folders back into it."""
    applied = []
    for top, inside in _private_ancestors(paths).items():
        kept = _cover(libc, top, "size=4k,mode=0755", inside)
        applied.append(f"private folder {top} covered, only {', '.join(kept)} visible")
    return applied


def _cover(libc: ctypes.CDLL, top: str, data: str, paths: list[str]) -> list[str]:
    """Mount a fresh tmpfs over ``top`` and bind back those of ``paths`` that lie below it; return them."""
    real = [os.path.realpath(p) for p in paths]
    inside = [p for p in real if Path(top) in Path(p).parents]
    inside = sorted({p for p in inside if not any(Path(q) in Path(p).parents for q in inside)})
    fds = [os.open(p, os.O_PATH | os.O_DIRECTORY) for p in inside]  # handles that survive covering top
    _mount(libc, top, MS_NOSUID | MS_NODEV, data)
    for path, fd in zip(inside, fds):
        os.makedirs(path, exist_ok=True)
        _check(libc.mount(f"/proc/self/fd/{fd}".encode(), path.encode(), None, MS_BIND | MS_REC, None),
               f"bind {path}")
        os.close(fd)
    return inside


def _user_namespace(libc: ctypes.CDLL) -> list[str]:
    uid, gid = os.getuid(), os.getgid()
    _check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNET), "unshare")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)
    return ["no network (user + network namespace)"]


def _own_processes() -> int:
    return sum(1 for p in os.listdir("/proc") if p.isdigit() and _owner(p) == os.getuid())


def enter(config: dict) -> list[str]:
    """Lock this process in; return the list of protections that applied (for the grader's records)."""
    libc, limits, uid = _libc(), Limits(**config["limits"]), config["uid"]
    workdir, applied = config["workdir"], ["own process group, killed as a whole"]
    try:
        if not config["namespaces"]:
            raise OSError(errno.EPERM, "namespaces are turned off")
        if uid is not None:
            workdir, more = _root_namespaces(libc, config)
        else:
            more = _user_namespace(libc)
        applied += more
    except OSError as error:
        applied.append(f"NOT isolated from the network or the file system ({error})")
        private = _private_ancestors(_python_paths())
        if uid is not None and private:
            # Running as root instead would let a fork bomb or a reader of hidden tests loose: refuse.
            raise RuntimeError(f"cannot run student code as an unprivileged uid without a mount namespace: Python "
                               f"is inside {', '.join(private)}, which other users cannot enter. Install Python "
                               "where all users can read it, or allow namespaces.") from None
    os.chdir(workdir)
    os.environ["HOME"] = os.environ["TMPDIR"] = workdir
    processes = limits.max_processes if uid is not None else _own_processes() + limits.max_processes
    for name, value in (("RLIMIT_AS", limits.memory_mb * 2**20), ("RLIMIT_CPU", limits.cpu_time),
                        ("RLIMIT_NPROC", processes), ("RLIMIT_FSIZE", FILE_MB * 2**20),
                        ("RLIMIT_NOFILE", OPEN_FILES), ("RLIMIT_CORE", 0)):
        resource.setrlimit(getattr(resource, name), (value, value))
    applied.append(f"limits: {limits.memory_mb} MiB memory, {limits.cpu_time} s CPU, {processes} processes, "
                   f"{FILE_MB} MiB per file")
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        applied.append(f"runs as unprivileged uid {uid}")
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    _check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")  # after setuid, which clears it
    if os.getppid() != config["parent"]:
        os._exit(1)  # the grader died before the death signal was armed
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-big write fails with an error instead of killing
    return applied
