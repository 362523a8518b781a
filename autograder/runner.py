"""Grade one notebook: run its cells in a sandboxed child, then run the checks here, in the grader's process.

A cell that raises does not stop later cells. A cell or call that times out or kills the child is recorded,
the child is restarted (at most ``MAX_RESTARTS`` times) and the cells that worked are run again in it, so the
points earned elsewhere are kept. A function that timed out or crashed once is not called again.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path
from typing import Any

from autograder import protocol
from autograder.config import Assignment
from autograder.notebook import Cell, NotebookError, code_cells, read_notebook, tagged_questions
from autograder.redact import redact
from autograder.results import CheckResult, GradingResult, QuestionResult
from autograder.sandbox import OUTPUT_TAIL_BYTES, Child, describe_exit
from autograder.testing import Check, Student, StudentError

__all__ = ["Session", "grade_notebook", "run_check", "MAX_RESTARTS"]

MAX_RESTARTS = 3
STARTUP_TIMEOUT = 30.0  # starting Python and importing NumPy on a busy machine is not the student's fault
MAX_MESSAGE_CHARS = 1000  # of a check's message in results and feedback
MAX_TYPE_NAME_CHARS = 100  # of the name of the student's exception type (it comes from the untrusted child)
MAX_WHERE_CHARS = 200  # of "cell 3, line 2, in f" as the child reports it
GRADER_ERRORS = ("Stopped", "NotDefined", "NotData")  # StudentError types that are the grader's own words


class _Broken(Exception):
    """The child is gone (timed out, crashed, broke the protocol); the message says why."""


class Session:
    """A student's notebook running in a sandboxed child, restarted when it dies."""

    def __init__(self, assignment: Assignment, cells: list[Cell], masks: list[Path]) -> None:
        self.assignment = assignment
        self.limits = assignment.limits
        self.cells, self.masks = cells, masks
        self.labels = {c.number: c.label for c in cells}
        self.deadline = time.monotonic() + self.limits.timeout
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

    def _request(self, message: dict, what: str, timeout: float | None = None) -> dict:
        timeout = timeout or self.limits.call_timeout
        deadline = min(time.monotonic() + timeout, self.deadline)
        try:
            reply = self.child.request(message, deadline)
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
            self.child = Child(self.limits, self.masks, self.assignment.forbidden_imports)
            try:
                reply = self._request({"op": "hello"}, "while starting", STARTUP_TIMEOUT)
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
                    reply = self._request({"op": "run", "cell": cell.number, "source": cell.source}, where)
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

    def get(self, name: str) -> Any:
        reply = self._serve({"op": "get", "name": name}, name, f"while reading `{name}`")
        return Student.CALLABLE if reply.get("callable") is True else reply["ok"]

    def call(self, name: str, args: list, kwargs: dict, return_args: bool = False) -> Any:
        """The function's result; with ``return_args``, ``{"result": ..., "args": (...), "kwargs": {...}}`` holding
        the arguments as the function left them."""
        return self._serve({"op": "call", "name": name, "args": args, "kwargs": kwargs, "return_args": return_args},
                           name, f"while calling `{name}`")["ok"]

    def name_cells(self, text: str) -> str:
        """Replace the child's "cell 12" (counted with markdown cells) by the cell's label as students see it."""
        return re.sub(r"\bcell (\d+)\b", lambda m: self.labels.get(int(m.group(1)), m.group(0)), text)

    def _format_error(self, error: Any) -> str:
        if not isinstance(error, dict):
            return "an error the grader could not read"
        return str(StudentError(str(error.get("type", "Error"))[:MAX_TYPE_NAME_CHARS], str(error.get("message", "")),
                                self.name_cells(str(error.get("where", ""))[:MAX_WHERE_CHARS])))[:MAX_MESSAGE_CHARS]

    def _serve(self, message: dict, name: str, what: str) -> dict:
        if name in self.broken_names:
            raise StudentError("Stopped", f"not run again: {self.broken_names[name]}")
        try:
            self._ensure_child()
            reply = self._request(message, what)
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
    session = Session(assignment, code_cells(notebook), list(masks)) if notebook else None
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
            result.questions[question.id] = QuestionResult(question.title, question.points, round(score, 4), outcomes)
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
