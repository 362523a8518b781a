"""Grade a whole class: parallel over cores, resumable, every result written atomically."""

from __future__ import annotations

import concurrent.futures
import datetime
import hashlib
import json
import multiprocessing
import os
import re
import sys
from pathlib import Path

from tqdm import tqdm

from autograder.config import Assignment, load_assignment
from autograder.report import feedback_markdown, gradebook_csv, summarize, summary_markdown
from autograder.results import ClassSummary, GradingResult
from autograder.rubric import apply_rubric
from autograder.runner import grade_notebook
from autograder.sandbox import _PACKAGE_ROOT
from autograder.testing import Check, load_checks

__all__ = ["find_submissions", "grade", "grade_submission", "write_result", "write_atomic"]

# Per worker process: tests loaded once per assignment *fingerprint*, so tests changed between two runs of one
# process are loaded again (and a result is never stored under a hash of tests other than those that made it).
_loaded: dict[str, tuple[Assignment, list[Check]]] = {}


def write_atomic(path: Path, text: str) -> None:
    """Write text so that a reader (or a grader killed half-way) sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def find_submissions(folder: str | Path, notebook_name: str) -> dict[str, tuple[Path, list[str]]]:
    """Map student -> (notebook path, problems) for ``<student>.ipynb`` files and ``<student>/*.ipynb`` folders.

    In a folder with several notebooks, the one named like the assignment's notebook wins, else the first by name.
    """
    found = {}
    for entry in sorted(Path(folder).iterdir()):
        problems: list[str] = []
        if entry.is_file() and entry.suffix == ".ipynb":
            path = entry
        elif entry.is_dir() and not entry.name.startswith("."):
            notebooks = sorted(entry.glob("*.ipynb"))
            path = entry / notebook_name if (entry / notebook_name) in notebooks else \
                (notebooks[0] if notebooks else entry / notebook_name)
            if len(notebooks) > 1:
                problems.append(f"the folder holds {len(notebooks)} notebooks; graded {path.name}")
        else:
            continue
        student = re.sub(r"[^A-Za-z0-9._@-]", "_", entry.stem if entry.is_file() else entry.name).lstrip(".")
        found[student] = (path, problems)
    return found


def _masks(paths: list[Path]) -> list[Path]:
    """The folders student code must not see, plus any .git above them (git objects hold solutions too)."""
    masks = []
    protected = [Path(_PACKAGE_ROOT), Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]
    for path in paths:
        path = path.resolve()
        candidates = [path] + [parent / ".git" for parent in path.parents]
        for candidate in candidates:
            # Never cover the grader's own code or Python: the child needs them.
            if candidate.is_dir() and not any(p == candidate or candidate in p.parents for p in protected):
                masks.append(candidate)
    return sorted(set(masks))


def _hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _up_to_date(result_path: Path, submission: Path, fingerprint: str) -> bool:
    try:
        old = json.loads(result_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return old.get("assignment_hash") == fingerprint and old.get("submission_hash") == _hash(submission)


def _tests(root: str) -> tuple[Assignment, list[Check], str]:
    """The assignment, its loaded checks and the fingerprint of exactly what was loaded (cached by fingerprint)."""
    while True:
        assignment = load_assignment(root)
        fingerprint = assignment.fingerprint()
        if fingerprint not in _loaded:
            _loaded[fingerprint] = (assignment, load_checks(assignment))
            if assignment.fingerprint() != fingerprint:  # a file changed while loading: load again
                del _loaded[fingerprint]
                continue
        return *_loaded[fingerprint], fingerprint


def grade_submission(root: str | Path, student: str, path: Path, problems: list[str],
                     masks: list[Path]) -> GradingResult:
    """Grade one student's notebook with the assignment at root (tests cached by fingerprint in this process);
    the result records the student, the fingerprint of the tests that made it and the time."""
    assignment, checks, fingerprint = _tests(str(root))
    result = grade_notebook(assignment, checks, path, masks)
    result.problems[:0] = problems
    result.student, result.assignment_hash = student, fingerprint
    result.graded_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    return result


def write_result(out: Path, student: str, result: GradingResult) -> None:
    """Write a student's feedback, then their result (last: its presence marks the student as done)."""
    write_atomic(out / "feedback" / f"{student}.md", feedback_markdown(student, result))
    write_atomic(out / "results" / f"{student}.json", json.dumps(result.to_dict(), indent=1))


def _grade_one(root: str, student: str, path: Path, problems: list[str], out: Path, masks: list[Path]) -> str:
    write_result(out, student, grade_submission(root, student, path, problems, masks))
    return student


def grade(assignment_dir: str | Path, submissions: str | Path, out: str | Path, jobs: int | None = None,
          progress: bool = True, scheduler: str | None = None, dask_workers: int | None = None) -> ClassSummary:
    """Grade every submission not graded yet (or changed since); rebuild gradebook and summary from all results.

    By default submissions are graded by a pool of ``jobs`` processes on this machine. With ``scheduler``
    (``"tcp://host:8786"``) each one is a task on that Dask cluster; with ``dask_workers`` on a ``LocalCluster``
    of that many single-threaded worker processes (``autograder.cluster``; needs ``distributed``; its worker
    processes are spawned, so a script calling this needs ``if __name__ == "__main__":``). Results are written
    here either way, so a run of one kind resumes a run of the other.

    Returns the summary, with ``graded``, ``skipped`` and ``failed`` (students the grader itself failed on).
    Raises ``autograder.cluster.ClusterError`` when the cluster cannot be reached or goes away (what was graded
    until then is kept: run again to resume).
    """
    if scheduler is not None and dask_workers is not None:
        raise ValueError(f"grade: give scheduler or dask_workers, not both (got {scheduler!r} and {dask_workers!r})")
    if dask_workers is not None and (isinstance(dask_workers, bool) or not isinstance(dask_workers, int)
                                     or dask_workers < 1):
        raise ValueError(f"grade: dask_workers must be a positive int, got {dask_workers!r}")
    assignment = load_assignment(assignment_dir)
    load_checks(assignment)  # a broken test file stops here, before any student is graded
    out, fingerprint = Path(out), assignment.fingerprint()
    (out / "results").mkdir(parents=True, exist_ok=True)
    found = find_submissions(submissions, assignment.notebook)
    todo = {s: v for s, v in found.items() if not _up_to_date(out / "results" / f"{s}.json", v[0], fingerprint)}
    masks = _masks([assignment.root, Path(submissions), out])
    jobs = max(1, jobs or os.cpu_count() or 1)
    failed = {}
    bar = tqdm(total=len(todo), desc="grading", unit="submission", disable=not progress, file=sys.stderr)
    args = [(str(assignment.root), s, path, problems, out, masks) for s, (path, problems) in todo.items()]
    if scheduler is not None or dask_workers is not None:
        from autograder.cluster import grade_on_dask  # lazy: the local path never needs distributed

        try:
            failed = grade_on_dask(assignment, Path(submissions), todo, out, scheduler, dask_workers,
                                   on_done=bar.update)
        finally:
            bar.close()
    elif jobs == 1:
        for a in args:
            try:
                _grade_one(*a)
            except Exception as error:  # a grader bug must not stop the class: report it and go on
                failed[a[1]] = repr(error)
            bar.update()
    else:
        with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = {pool.submit(_grade_one, *a): a[1] for a in args}
            for future in concurrent.futures.as_completed(futures):
                if future.exception() is not None:
                    failed[futures[future]] = repr(future.exception())
                bar.update()
    bar.close()
    results = {}
    for student in found:
        try:
            results[student] = GradingResult.from_dict(
                json.loads((out / "results" / f"{student}.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            failed.setdefault(student, "no readable result was written")
    results = apply_rubric(out, assignment, results)  # the instructor's scores of manual questions (rubric.csv)
    write_atomic(out / "gradebook.csv", gradebook_csv(results, list(assignment.question_ids)))
    summary = summarize(results, list(assignment.question_ids))
    write_atomic(out / "summary.md", summary_markdown(summary))
    write_atomic(out / "summary.json", json.dumps(summary.to_dict(), indent=1))
    summary.graded, summary.skipped = sorted(set(todo) - set(failed)), sorted(set(found) - set(todo))
    summary.failed = failed
    return summary
