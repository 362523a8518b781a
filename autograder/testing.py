"""What instructors' tests see: the ``student`` proxy, StudentError, and loading the test files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from autograder.config import Assignment

__all__ = ["StudentError", "Student", "Check", "load_checks"]


class StudentError(Exception):
    """The student's code raised, timed out, crashed or returned something that is not data.

    ``type_name`` is the student's exception type (``"ValueError"``), or what the grader itself observed:
    ``"Stopped"`` (timed out, crashed, or not run because of an earlier timeout or crash), ``"NotDefined"``
    (no such name in the notebook) or ``"NotData"`` (the result cannot cross the process boundary as data).
    """

    def __init__(self, type_name: str, message: str, where: str = "") -> None:
        if type_name in ("Stopped", "NotDefined", "NotData"):
            text = message
        else:
            text = " ".join(p for p in (type_name + (":" if message else ""), message, where and f"({where})") if p)
        super().__init__(text)
        self.type_name = type_name
        self.message = message


class Student:
    """The student's namespace, seen from the grader: ``student.f(x)`` calls ``f`` in the sandbox.

    ``session`` provides ``get(name)`` (a value, or ``CALLABLE`` for a function) and ``call(name, args, kwargs)``.
    """

    CALLABLE = object()

    def __init__(self, session: Any) -> None:
        self._session = session

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)  # keep copy/pickle/repr machinery away from the sandbox
        value = self._session.get(name)
        if value is not Student.CALLABLE:
            return value
        session = self._session

        def call(*args: Any, **kwargs: Any) -> Any:
            return session.call(name, list(args), kwargs)

        call.__name__ = name
        return call


@dataclass(frozen=True)
class Check:
    """One test function: the question it belongs to, its name for feedback, whether it is hidden."""

    question: str
    name: str
    hidden: bool
    function: Callable[[Student], None]


def load_checks(assignment: Assignment, hidden: bool = True) -> list[Check]:
    """Load the test files into the grader's memory, in question order, public before hidden.

    Raises ValueError naming the file when one does not load (syntax error, failing import)."""
    checks = []
    for path in assignment.test_files(hidden):
        is_hidden = path.parent.name == "hidden"
        module = {"__name__": f"autograder_tests.{path.parent.name}.{path.stem}", "__file__": str(path)}
        try:
            exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module)
        except Exception as error:  # an instructor's broken test file must stop grading before it starts
            raise ValueError(f"{path}: the test file does not load: {type(error).__name__}: {error}") from None
        for name, function in module.items():
            if name.startswith("test_") and callable(function):
                doc = (function.__doc__ or "").strip().split("\n")[0]
                checks.append(Check(path.stem.removeprefix("test_"), doc or name, is_hidden, function))
    order = {q: i for i, q in enumerate(assignment.question_ids)}
    return sorted(checks, key=lambda c: (order[c.question], c.hidden))
