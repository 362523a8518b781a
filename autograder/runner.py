"""Grade one notebook: run its cells in a sandboxed child, then run the checks here, in the grader's process.

A cell that raises does not stop later cells. A cell or call that times out or kills the child is recorded,
the child is restarted (at most ``MAX_RESTARTS`` times) and the cells that worked are run again in it, so the
points earned elsewhere are kept. A function that timed out or crashed once is not called again.
"""

from __future__ import annotations

import hashlib
import re
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from autograder import protocol
from autograder.config import Assignment
from autograder.notebook import Cell, NotebookError, code_cells, read_notebook, tagged_questions
from autograder.redact import redact
from autograder.results import CheckResult, GradingResult, QuestionResult
from autograder.sandbox import OUTPUT_TAIL_BYTES, Child, describe_exit
from autograder.testing import Check, Student, StudentError, StudentObject

__all__ = ["Session", "grade_notebook", "run_check", "handed_in_folder", "MAX_RESTARTS", "MAX_WEIGHTS_BYTES"]

MAX_RESTARTS = 3
STARTUP_TIMEOUT = 30.0  # starting Python and importing NumPy on a busy machine is not the student's fault
MAX_MESSAGE_CHARS = 1000  # of a check's message in results and feedback
MAX_TYPE_NAME_CHARS = 100  # of the name of the student's exception type (it comes from the untrusted child)
MAX_WHERE_CHARS = 200  # of "cell 3, line 2, in f" as the child reports it
GRADER_ERRORS = ("Stopped", "NotDefined", "NotData", "BadWeights")  # StudentError types in the grader's own words
MAX_WEIGHTS_BYTES = 48 * 2**20  # a handed-in weights file: it must fit in one message to the child (64 MiB)


class _Broken(Exception):
    """The child is gone (timed out, crashed, broke the protocol); the message says why."""


def _torch_tensor(array: np.ndarray, dtype: str) -> Any:
    torch = sys.modules["torch"]  # only called when the test passed a tensor, so torch is imported already
    return torch.from_numpy(array.copy()).to(getattr(torch, dtype))


def _contains_tensor(value: Any) -> bool:
    if "torch" not in sys.modules:  # nothing is a tensor before torch is imported: NumPy grading stays cheap
        return False
    if isinstance(value, (list, tuple)):
        return any(_contains_tensor(v) for v in value)
    if isinstance(value, dict):
        return any(_contains_tensor(v) for v in value.values())
    return protocol.is_tensor(value)


class Session:
    """A student's notebook running in a sandboxed child, restarted when it dies.

    ``files`` is the folder of files the student handed in beside the notebook (trained weights), or None. The
    assignment's own data files (``files`` in assignment.toml) are sent to every child it starts, which writes them
    into its working folder before any cell runs. Cells tagged ``training`` run with their question's budget (``timeout`` per cell; ``cpu_time`` added to the
    child's CPU limit and the time added to the submission's deadline)."""

    def __init__(self, assignment: Assignment, cells: list[Cell], masks: list[Path], files: Path | None = None) -> None:
        self.assignment = assignment
        self.cells, self.masks, self.files = cells, masks, files
        questions = {q.id: q for q in assignment.questions}
        self.cell_timeout = {c.number: max((questions[q].timeout for q in c.questions if q in questions
                                            and questions[q].timeout), default=None) for c in cells if c.training}
        budgets = {q for c in cells if c.training for q in c.questions if q in questions}
        limits = assignment.limits
        self.limits = limits._replace(
            cpu_time=limits.cpu_time + sum(questions[q].cpu_time or 0 for q in budgets),
            timeout=limits.timeout + sum(questions[q].timeout or 0 for q in budgets))
        self.labels = {c.number: c.label for c in cells}
        self.deadline = time.monotonic() + self.limits.timeout
        self.generation = 0  # counts the children started: a handle is valid only in the child that made it
        self._handed_in: dict[str, dict[str, np.ndarray]] = {}
        # Read here: the child cannot see the assignment's folder. Bytes travel as uint8 arrays (data, not pickles).
        self.assignment_files = {p.name: np.frombuffer(p.read_bytes(), dtype=np.uint8)
                                 for p in assignment.file_paths()}
        self.child: Child | None = None
        self.restarts = -1  # the first start is not a restart
        self.poisoned: set[int] = set()  # cells that timed out or killed the child: never run again
        self.cell_problems: dict[int, str] = {}
        self.broken_names: dict[str, str] = {}
        self.fatal = ""  # set when the sandbox cannot start at all
        self.protections: list[str] = []
        self.outputs: list[str] = []  # what each child printed while running the cells (not during checks)
        self._cells_done_at: int | None = None  # the child's output size when its cells had run

    # -- the child's life --

    def _request(self, message: dict, what: str, timeout: float | None = None, tensors: bool = False) -> dict:
        timeout = timeout or self.limits.call_timeout
        deadline = min(time.monotonic() + timeout, self.deadline)
        try:
            reply = self.child.request(message, deadline, _torch_tensor if tensors else None)
            if not isinstance(reply, dict):
                raise protocol.ProtocolError("the reply is not a dict")
            return reply
        except TimeoutError:
            self._stop()
            if deadline == self.deadline:
                raise _Broken(f"the submission used all of its {self.limits.timeout:g} s {what}") from None
            raise _Broken(f"timed out after {timeout:g} s {what}") from None
        except protocol.ChildGone:
            status = self._stop()
            raise _Broken(f"the notebook's process {describe_exit(status, self.limits)} {what}") from None
        except protocol.ProtocolError as error:
            self._stop()
            raise _Broken(f"the notebook's process sent an invalid message ({error}) {what}") from None

    def _stop(self) -> int:
        # Only what the cells printed: output during the checks' calls could show hidden inputs.
        self.outputs.append(self.child.output_tail(end=self._cells_done_at))
        self._cells_done_at = None
        status = self.child.close()
        self.child = None
        return status

    def _ensure_child(self) -> None:
        """Start (or restart) the child and run every cell that has not killed it before."""
        while self.child is None:
            if self.fatal:
                raise _Broken(self.fatal)
            if time.monotonic() >= self.deadline:
                raise _Broken(f"not run: the submission used all of its {self.limits.timeout:g} s")
            if self.restarts >= MAX_RESTARTS:
                raise _Broken(f"not run: the notebook's process was restarted {MAX_RESTARTS} times already")
            self.restarts += 1
            self.generation += 1
            self.child = Child(self.limits, self.masks, self.assignment.forbidden_imports, self.assignment.allow_gpu)
            try:
                reply = self._request({"op": "hello", "files": self.assignment_files}, "while starting",
                                      STARTUP_TIMEOUT)
            except _Broken as error:
                self.cell_problems.setdefault(0, str(error))
                continue
            if "error" in reply:  # the sandbox refused to start: it will refuse again, so stop trying
                self._stop()
                self.fatal = f"not run: the sandbox could not start: {reply['error']['message']}"
                self.cell_problems[0] = self.fatal
                continue
            self.protections = reply["ok"]
            for cell in self.cells:
                if cell.number in self.poisoned:
                    continue
                where = f"while running the notebook ({cell.label})"
                try:
                    reply = self._request({"op": "run", "cell": cell.number, "source": cell.source}, where,
                                          self.cell_timeout.get(cell.number))
                except _Broken as error:
                    self.poisoned.add(cell.number)
                    self.cell_problems[cell.number] = str(error)
                    break  # the child is gone: start again without this cell
                if "error" in reply and cell.number not in self.cell_problems:
                    error = self._format_error(reply["error"]).replace(f"({cell.label}, line", "(line")
                    self.cell_problems[cell.number] = f"{cell.label} raised {error}"
            else:
                if self.child is not None:
                    self._cells_done_at = self.child.output_size()

    def start(self) -> None:
        """Run the notebook now, so that every cell's problem is recorded even if no check needs it."""
        try:
            self._ensure_child()
        except _Broken as error:
            self.cell_problems.setdefault(0, str(error))

    def close(self) -> None:
        if self.child is not None:
            self._stop()

    # -- what the Student proxy calls --

    def get(self, name: str, owner: StudentObject | None = None) -> Any:
        """The value of a name in the student's namespace (or of an attribute of ``owner``): data, ``CALLABLE`` for
        a function, method or class, or a ``StudentObject`` for an object that is not data."""
        label = self._label(name, owner)
        reply = self._serve({"op": "get", "name": name, "handle": self._ref(owner)}, label, f"while reading `{label}`")
        return Student.CALLABLE if reply.get("callable") is True else self._wrap(reply["ok"], label)

    def call(self, name: str | None, args: list, kwargs: dict, return_args: bool = False,
             owner: StudentObject | None = None, as_handle: bool = False) -> Any:
        """The function's result; with ``return_args``, ``{"result": ..., "args": (...), "kwargs": {...}}`` holding
        the arguments as the function left them. ``owner``: call its method ``name`` (or, with ``name`` None, the
        object itself). The result of calling a class, or any result with ``as_handle``, is a ``StudentObject``.
        Tensors come back as tensors when the arguments held one, else as arrays."""
        label = self._label(name, owner)
        message = {"op": "call", "name": name, "handle": self._ref(owner), "args": self._refs(args),
                   "kwargs": self._refs(kwargs), "return_args": return_args, "as_handle": as_handle}
        reply = self._serve(message, label, f"while calling `{label}`", _contains_tensor([args, kwargs]))
        return self._wrap(reply["ok"], f"{label}(...)")

    def parameters(self, owner: StudentObject) -> dict:
        """``{"parameters": [(name, shape, requires_grad)], "state": {name: (shape, dtype)}}`` of a PyTorch module."""
        label = self._label(None, owner)
        reply = self._serve({"op": "parameters", "handle": self._ref(owner)}, label, f"while reading `{label}`")
        return reply["ok"]

    def load_weights(self, owner: StudentObject, arrays: dict[str, np.ndarray]) -> None:
        """``owner.load_state_dict`` (strict) with the arrays as tensors, in the child."""
        label = self._label(None, owner)
        self._serve({"op": "load_weights", "handle": self._ref(owner), "arrays": arrays}, label,
                    f"while loading weights into `{label}`")

    def handed_in(self, filename: str) -> dict[str, np.ndarray] | None:
        """The arrays of a .npz file the student handed in beside the notebook (read here, in the grader, with
        ``allow_pickle=False``), or None when there is no such file. StudentError("BadWeights") when it is not one."""
        if filename not in self._handed_in:
            self._handed_in[filename] = _read_weights(self.files / filename) \
                if self.files is not None and (self.files / filename).is_file() else None
        return self._handed_in[filename]

    def _label(self, name: str | None, owner: StudentObject | None) -> str:
        if owner is None:
            return str(name)
        return owner._label if name is None else f"{owner._label}.{name}"

    def _ref(self, owner: StudentObject | None) -> protocol.HandleRef | None:
        """The handle's id in the current child; StudentError when it belongs to another session or a child that
        has been restarted since (the object is gone with it)."""
        if owner is None:
            return None
        if owner._session is not self:
            raise StudentError("Stopped", f"`{owner._label}` belongs to another notebook's process")
        if self.child is None and not self.fatal:
            self._ensure_child_quietly()
        if owner._generation != self.generation:
            raise StudentError("Stopped", f"`{owner._label}` no longer exists: the notebook's process was restarted "
                                          "after it was made")
        return owner._ref

    def _ensure_child_quietly(self) -> None:
        try:
            self._ensure_child()
        except _Broken:
            pass  # _serve reports it

    def _refs(self, value: Any) -> Any:
        """Arguments with every StudentObject replaced by its handle (the object stays in the child)."""
        if isinstance(value, StudentObject):
            return self._ref(value)
        if type(value) in (list, tuple):
            return type(value)(self._refs(v) for v in value)
        if type(value) is dict:
            return {k: self._refs(v) for k, v in value.items()}
        return value

    def _wrap(self, value: Any, label: str) -> Any:
        """A reply with every handle turned into a StudentObject of this session and child."""
        if type(value) is protocol.HandleRef:
            return StudentObject(self, value, self.generation, label)
        if type(value) in (list, tuple):
            return type(value)(self._wrap(v, label) for v in value)
        if type(value) is dict:
            return {k: self._wrap(v, label) for k, v in value.items()}
        return value

    def name_cells(self, text: str) -> str:
        """Replace the child's "cell 12" (counted with markdown cells) by the cell's label as students see it."""
        return re.sub(r"\bcell (\d+)\b", lambda m: self.labels.get(int(m.group(1)), m.group(0)), text)

    def _format_error(self, error: Any) -> str:
        if not isinstance(error, dict):
            return "an error the grader could not read"
        return str(StudentError(str(error.get("type", "Error"))[:MAX_TYPE_NAME_CHARS], str(error.get("message", "")),
                                self.name_cells(str(error.get("where", ""))[:MAX_WHERE_CHARS])))[:MAX_MESSAGE_CHARS]

    def _serve(self, message: dict, name: str, what: str, tensors: bool = False) -> dict:
        if name in self.broken_names:
            raise StudentError("Stopped", f"not run again: {self.broken_names[name]}")
        try:
            self._ensure_child()
            reply = self._request(message, what, tensors=tensors)
        except _Broken as error:
            self.broken_names[name] = str(error)
            raise StudentError("Stopped", str(error)) from None
        except TypeError as error:  # the request could not be encoded: a bug in the test, not the student's
            raise StudentError("NotData", f"the check passed something that is not data: {error}") from None
        if reply.get("missing") is True:
            failed = [self.labels[n] for n in sorted(self.cell_problems) if n in self.labels][:2]
            raised = f" Or did the cell that defines it stop with an error? ({' and '.join(failed)} did)" \
                if failed else ""
            raise StudentError("NotDefined", f"`{name}` is not defined in your notebook: did you rename it?{raised}")
        if "error" in reply:
            error = reply["error"] if isinstance(reply["error"], dict) else {}
            raise StudentError(str(error.get("type", "Error"))[:MAX_TYPE_NAME_CHARS],
                               str(error.get("message", ""))[:MAX_MESSAGE_CHARS].strip(),
                               self.name_cells(str(error.get("where", ""))[:MAX_WHERE_CHARS]))
        if "ok" not in reply and reply.get("callable") is not True:
            raise StudentError("NotData", "the notebook's process sent an invalid reply")
        return reply


def _read_weights(path: Path) -> dict[str, np.ndarray]:
    """A student's .npz file as arrays, trusting nothing: no pickles, numeric dtypes, a bounded size."""
    size = path.stat().st_size
    if size > MAX_WEIGHTS_BYTES:
        raise StudentError("BadWeights", f"the weights file {path.name} is {size / 2**20:.0f} MiB, more than the "
                                         f"{MAX_WEIGHTS_BYTES // 2**20} MiB the grader accepts")
    try:
        with zipfile.ZipFile(path) as archive:  # compressed members could unpack to far more than the file's size
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError) as error:
        raise StudentError("BadWeights", f"the weights file {path.name} could not be read as named arrays "
                                         f"(np.load with allow_pickle=False): not an .npz archive ({error})") from None
    if unpacked > MAX_WEIGHTS_BYTES:
        raise StudentError("BadWeights", f"the weights file {path.name} unpacks to {unpacked / 2**20:.0f} MiB, more "
                                         f"than the {MAX_WEIGHTS_BYTES // 2**20} MiB the grader accepts")
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ValueError("it holds one array, not named arrays (save it with np.savez)")
            arrays = {name: archive[name] for name in archive.files}
    except Exception as error:
        raise StudentError("BadWeights", f"the weights file {path.name} could not be read as named arrays "
                                         f"(np.load with allow_pickle=False): {type(error).__name__}: {error}") from None
    bad = [name for name, a in arrays.items() if type(a) is not np.ndarray or a.dtype.kind not in "biufc"]
    if bad or not arrays:
        raise StudentError("BadWeights", f"the weights file {path.name} must hold arrays of numbers, one per "
                                         f"state_dict entry; {', '.join(bad) if bad else 'it is empty'}")
    return arrays


def handed_in_folder(path: Path) -> Path | None:
    """The folder whose files a student handed in with the notebook at path: the notebook's own folder, unless other
    notebooks share it (then it is a class's folder of single-notebook submissions and holds no one's files)."""
    others = [p for p in path.parent.glob("*.ipynb") if p.name != path.name]
    return None if others else path.parent


def run_check(check: Check, student: Student) -> CheckResult:
    """Run one check. A hidden check's message is redacted (``autograder.redact``): no number or array from the
    test reaches the student; the full message stays in ``detail`` for instructors."""
    hide = (lambda text: redact(text, check.name)) if check.hidden else (lambda text: text)
    try:
        check.function(student)
    except AssertionError as error:
        raw = str(error).strip() or "the check failed"
        message = hide(raw)
    except StudentError as error:
        if error.type_name in GRADER_ERRORS:
            raw = message = str(error)
        else:
            raw = "your code raised " + str(error)
            where = f" ({error.where})" if error.where else ""
            message = f"your code raised {error.type_name}: {hide(error.message)}{where}"
    except Exception as error:  # the check could not use what the student returned (wrong type, shape...)
        raw = f"your result could not be checked: {type(error).__name__}: {error}"
        message = f"your result could not be checked: {type(error).__name__}: {hide(str(error))}"
    else:
        return CheckResult(check.name, check.hidden, True)
    message = message[:MAX_MESSAGE_CHARS]
    return CheckResult(check.name, check.hidden, False, message, "" if raw == message else raw[:MAX_MESSAGE_CHARS])


def grade_notebook(assignment: Assignment, checks: list[Check], path: str | Path,
                   masks: list[Path] = ()) -> GradingResult:
    """Grade the notebook at path with checks; return its result record (see docs/autograder.md)."""
    started = time.monotonic()
    path = Path(path)
    result = GradingResult(notebook=str(path), max_total=sum(q.points for q in assignment.questions))
    try:
        result.submission_hash = hashlib.sha256(path.read_bytes()).hexdigest()
        notebook = read_notebook(path)
    except (NotebookError, OSError) as error:
        notebook = None
        result.problems.append(str(error))
    tagged = tagged_questions(notebook) if notebook else set()
    files = handed_in_folder(path)
    # Trained weights handed in: the question's training cells are not run (the tests load the weights instead).
    trained = {q.id for q in assignment.questions if q.weights and files is not None and (files / q.weights).is_file()}
    cells = [c for c in code_cells(notebook) if not (c.training and trained & set(c.questions))] if notebook else []
    session = Session(assignment, cells, list(masks), files) if notebook else None
    student = Student(session)
    try:
        if session is not None:
            session.start()
        for question in assignment.questions:
            outcomes = []
            for check in (c for c in checks if c.question == question.id):
                if notebook is None:
                    outcomes.append(CheckResult(check.name, check.hidden, False,
                                                "not run: the notebook could not be read"))
                elif question.id not in tagged:
                    outcomes.append(CheckResult(check.name, check.hidden, False,
                                                f"not run: no cell is tagged `question:{question.id}`; "
                                                "the question's cell was deleted or its tag removed"))
                else:
                    outcomes.append(run_check(check, student))
            score = question.points * sum(o.passed for o in outcomes) / max(len(outcomes), 1)
            result.questions[question.id] = QuestionResult(question.title, question.points, round(score, 4), outcomes,
                                                           manual=question.manual, graded=not question.manual)
    finally:
        if session is not None:
            session.close()
    if session is not None:
        owners_of = {c.number: c.questions for c in session.cells}
        for number, problem in sorted(session.cell_problems.items()):
            owners = [q for q in owners_of.get(number, ()) if q in result.questions]
            for q in owners:
                result.questions[q].problems.append(problem)
            if not owners:
                result.problems.append(problem)
        result.output = "".join(session.outputs)[-OUTPUT_TAIL_BYTES:]
        result.protections = session.protections
    result.total = round(sum(q.score for q in result.questions.values()), 4)
    result.seconds = round(time.monotonic() - started, 3)
    return result
