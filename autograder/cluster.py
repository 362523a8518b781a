"""Grade a class on a Dask cluster: one task per submission, the same sandboxed grading on each worker.

What travels, and how:

- the assignment (``assignment.toml``, every test file, hidden ones included, and its data ``files``) as a dict of
  relative path -> bytes inside a Dask *worker plugin* named by the assignment's fingerprint. The scheduler keeps that
  one copy and hands it to every worker that is running or joins later, including one started to replace a killed worker;
  the worker unpacks it into a private cache folder keyed by the fingerprint (``AUTOGRADER_CACHE``, default
  ``$TMPDIR/autograder-<uid>``) and checks that the unpacked files have that fingerprint. So workers need no shared
  file system, and a worker running another grader version refuses instead of grading with other rules;
- each submission as bytes: the notebook, and for a ``<student>/`` folder every file in it (trained weights
  handed in beside the notebook), written to a private temporary folder on the worker for the task;
- the result back as ``GradingResult.to_dict()``; the client writes it (``grade.write_result``: atomic, result
  last), so resuming works across runs and between ``--jobs`` and cluster runs.

On the worker the task is what ``--jobs`` runs in a pool process: hidden tests are loaded into the worker's own
process; student code runs in the sandboxed child (``autograder.sandbox``), which never sees them (the cache and
the submission's folder are among the folders it cannot see). The sandbox names the child's uid after the grading
process, so a worker process grades one submission at a time (start workers with ``--nthreads 1``; with more
threads the extra ones wait).

Faults: a worker killed mid-task -> the scheduler runs the task again on another worker (up to Dask's
``distributed.scheduler.allowed-failures``, after which that student is reported as not graded: a submission that
keeps killing workers costs workers, not the run); an exception inside the task is retried ``RETRIES`` times. A
result is written once per student whatever ran it, so nobody appears twice. A scheduler that cannot be reached or
goes away raises ``ClusterError``; the results written until then stay, and running again resumes.

``distributed`` is imported only here, and only when a cluster run is asked for.
"""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from autograder.config import FILE_NAME, GRADER_VERSION, Assignment
from autograder.results import GradingResult

__all__ = ["ClusterError", "pack_assignment", "unpack_assignment", "submission_files", "grade_on_dask", "local_cluster",
           "cache_root", "RETRIES", "CONNECT_TIMEOUT"]

RETRIES = 2  # an exception inside a task (not a killed worker: Dask's allowed-failures counts those)
CONNECT_TIMEOUT = 30.0  # seconds to reach the scheduler before giving up with a clear message
IN_FLIGHT_PER_THREAD = 2  # tasks submitted ahead per worker thread: the scheduler never holds a whole class
_one_at_a_time = threading.Lock()  # per worker process: the sandbox's uid is derived from the process id


class ClusterError(RuntimeError):
    """The Dask cluster could not be reached or went away; results written until then are kept."""


def _require_distributed():
    try:
        import distributed
    except ImportError:
        raise ClusterError("grading on Dask needs the `distributed` package: pip install 'cnncourse[cluster]' "
                           "(or distributed==2026.8.0 dask==2026.8.0), on the workers too") from None
    return distributed


# ---- the assignment, by content ----

def pack_assignment(assignment: Assignment) -> dict[str, bytes]:
    """The files that decide a grade, as relative POSIX path -> bytes: ``assignment.toml``, the test files
    (public and hidden) and the data files the notebook opens, exactly the files ``Assignment.fingerprint`` hashes."""
    return {path.relative_to(assignment.root).as_posix(): path.read_bytes()
            for path in [assignment.root / "assignment.toml", *assignment.test_files(), *assignment.file_paths()]}


def cache_root() -> Path:
    """Where workers unpack assignments: ``$AUTOGRADER_CACHE`` or ``$TMPDIR/autograder-<uid>`` (mode 0700)."""
    root = Path(os.environ.get("AUTOGRADER_CACHE") or Path(tempfile.gettempdir()) / f"autograder-{os.getuid()}")
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def _valid_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    # A data file lies beside assignment.toml (load_assignment checks that the toml lists it).
    return (len(parts) == 1 and FILE_NAME.fullmatch(name) is not None) or (
        len(parts) == 3 and parts[0] == "tests" and parts[1] in ("public", "hidden")
        and parts[2].startswith("test_") and parts[2].endswith(".py"))


def unpack_assignment(files: dict[str, bytes], fingerprint: str, root: Path | None = None) -> Path:
    """Write a packed assignment to ``root/<fingerprint>`` once (atomically: a folder renamed into place) and
    return that folder. Raises ValueError for a name that is not an assignment file."""
    bad = [name for name in files if not _valid_name(name)]
    if bad or "assignment.toml" not in files:
        raise ValueError(f"files: expected assignment.toml and tests/(public|hidden)/test_*.py, and data files "
                         f"beside assignment.toml, got {sorted(files)}")
    root = root or cache_root()
    target = root / fingerprint
    if target.is_dir():
        return target
    staging = Path(tempfile.mkdtemp(prefix=f".{fingerprint[:12]}-", dir=root))
    for name, data in files.items():
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        (staging / name).write_bytes(data)
    try:
        os.rename(staging, target)
    except OSError:  # another worker process on this machine unpacked it first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _plugin_name(fingerprint: str) -> str:
    return f"autograder-assignment-{fingerprint}"


def _assignment_plugin(files: dict[str, bytes], fingerprint: str):
    """A WorkerPlugin holding the packed assignment; each worker unpacks it when it starts or when registered."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class AssignmentFiles(WorkerPlugin):
        idempotent = True  # registering the same assignment twice changes nothing
        name = _plugin_name(fingerprint)

        def __init__(self) -> None:
            self.files, self.fingerprint = files, fingerprint

        def setup(self, worker) -> None:
            unpack_assignment(self.files, self.fingerprint)

    return AssignmentFiles()


# ---- the task, on a worker ----

def submission_files(path: Path, submissions: Path) -> dict[str, bytes]:
    """What travels of one submission: file name -> bytes. The notebook alone when it lies in the class's folder;
    every file of the student's own folder (the notebook and what was handed in beside it) when it is in one."""
    if path.parent.resolve() == submissions.resolve():
        return {path.name: path.read_bytes()} if path.is_file() else {}
    return {f.name: f.read_bytes() for f in sorted(path.parent.iterdir()) if f.is_file()}


def _grade_task(fingerprint: str, version: str, student: str, notebook_name: str, files: dict[str, bytes],
                problems: list[str]) -> dict:
    """Grade one submission on a Dask worker; return ``GradingResult.to_dict()``.

    ``files`` (name -> bytes, see ``submission_files``) are written into a fresh folder; ``notebook_name`` is the
    notebook among them (missing: the result says it could not be read, as a local run's does)."""
    from distributed import get_worker

    from autograder.grade import _masks, grade_submission  # the same grading as a --jobs pool process

    if version != GRADER_VERSION:
        raise RuntimeError(f"this worker runs grader version {GRADER_VERSION}, the client {version}: install the "
                           "same autograder on the workers as on the client")
    plugin = get_worker().plugins.get(_plugin_name(fingerprint))
    if plugin is None:
        raise RuntimeError(f"no assignment with fingerprint {fingerprint[:12]} was registered on this worker")
    root = unpack_assignment(plugin.files, fingerprint)  # a no-op once the plugin's setup has run
    with _one_at_a_time, tempfile.TemporaryDirectory(prefix="autograder-submission-") as folder:
        for name, data in files.items():
            if Path(name).name != name or name.startswith("."):
                raise ValueError(f"files: expected plain file names, got {name!r}")
            (Path(folder) / name).write_bytes(data)
        path = Path(folder) / notebook_name
        result = grade_submission(root, student, path, problems, _masks([root.parent, Path(folder)]))
    if result.assignment_hash != fingerprint:  # the unpacked files are not what the client sent
        raise RuntimeError(f"the assignment unpacked in {root} has fingerprint {result.assignment_hash[:12]}, "
                           f"expected {fingerprint[:12]}: remove that folder and run again")
    return result.to_dict()


# ---- the client ----

def local_cluster(workers: int):
    """A ``distributed.LocalCluster`` on 127.0.0.1 of ``workers`` single-threaded worker processes, no dashboard."""
    distributed = _require_distributed()
    # The scheduler's small HTTP server (health checks) on any free local port, not 8787.
    return distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                    dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})


def _connect(scheduler: str | None, workers: int | None):
    """A Client of the scheduler at that address, or of a new LocalCluster of ``workers`` processes."""
    distributed = _require_distributed()
    if scheduler is None:
        cluster = local_cluster(workers)
        return distributed.Client(cluster), cluster
    if not isinstance(scheduler, str) or "://" not in scheduler and ":" not in scheduler:
        raise ValueError(f"scheduler: expected an address such as tcp://host:8786, got {scheduler!r}")
    try:
        return distributed.Client(scheduler, timeout=CONNECT_TIMEOUT), None
    except (OSError, TimeoutError) as error:
        raise ClusterError(f"could not reach the Dask scheduler at {scheduler} within {CONNECT_TIMEOUT:g} s "
                           f"({type(error).__name__}: {error}); is `dask scheduler` running there?") from None


def grade_on_dask(assignment: Assignment, submissions: Path, todo: dict[str, tuple[Path, list[str]]], out: Path,
                  scheduler: str | None = None, workers: int | None = None,
                  on_done: Callable[[], object] = lambda: None) -> dict[str, str]:
    """Grade ``todo`` (student -> (notebook, problems)) as Dask tasks; write each result under ``out`` as it arrives.

    Returns student -> why the grader failed on them. Raises ClusterError when the cluster goes away."""
    from autograder.grade import write_result

    distributed = _require_distributed()
    client, cluster = _connect(scheduler, workers)
    where = scheduler or f"a LocalCluster of {workers} workers"
    fingerprint, failed, done = assignment.fingerprint(), {}, 0
    try:
        client.register_plugin(_assignment_plugin(pack_assignment(assignment), fingerprint))
        queue: Iterator[tuple[str, tuple[Path, list[str]]]] = iter(todo.items())
        students: dict[str, str] = {}  # task key -> student, for the tasks in flight
        running = distributed.as_completed()
        window = {"size": 0, "checked": -1.0}

        def fill() -> None:
            """Keep IN_FLIGHT_PER_THREAD tasks per worker thread submitted (at least 4): workers that join later,
            such as SLURM jobs that start after the run, get work as soon as a task finishes."""
            if time.monotonic() - window["checked"] > 1.0:
                window["size"] = max(4, IN_FLIGHT_PER_THREAD * sum(client.nthreads().values()))
                window["checked"] = time.monotonic()
            while len(students) < window["size"] and submit_next():
                pass

        def submit_next() -> bool:
            item = next(queue, None)
            if item is None:
                return False
            student, (path, problems) = item
            try:
                files = submission_files(path, submissions)
            except OSError:
                files = {}  # graded like locally: the result says the notebook could not be read
            future = client.submit(_grade_task, fingerprint, GRADER_VERSION, student, path.name, files,
                                   problems, key=f"autograder-{fingerprint[:12]}-{student}", pure=False,
                                   retries=RETRIES)
            students[future.key] = student
            running.add(future)
            return True

        fill()
        for future in running:
            student = students.pop(future.key)
            try:
                data = future.result()
            except Exception as error:  # the task failed on every try, or killed its workers: report, go on
                # Futures are cancelled when the connection to the scheduler is lost (also while reconnecting).
                lost = isinstance(error, concurrent.futures.CancelledError) or future.cancelled()
                if lost or client.status != "running":
                    raise _lost(where, done, len(todo), error) from None
                failed[student] = f"{type(error).__name__}: {error}"
            else:
                result = GradingResult.from_dict(data)
                result.notebook = str(todo[student][0])  # the client's path, as a --jobs run records it
                write_result(out, student, result)
                done += 1
            future.release()
            on_done()
            fill()
    except OSError as error:  # lost the connection while submitting or registering
        raise _lost(where, done, len(todo), error) from None
    finally:
        try:
            client.close(timeout=10)
        except Exception:  # closing a client whose scheduler is gone can itself fail: nothing left to save
            pass
        if cluster is not None:
            cluster.close()
    return failed


def _lost(where: str, done: int, total: int, error: BaseException) -> ClusterError:
    return ClusterError(f"the Dask scheduler ({where}) went away after {done} of {total} submissions were graded "
                        f"({type(error).__name__}: {error}); their results are saved: run the same command again "
                        "to grade the rest")
