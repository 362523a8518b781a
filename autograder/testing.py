"""What instructors' tests see: the ``student`` proxy, StudentError, and loading the test files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

import numpy as np

from autograder.config import Assignment

__all__ = ["StudentError", "Student", "StudentFunction", "Called", "changed_arguments", "Check", "load_checks"]


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
        self.where = where


class Called(NamedTuple):
    """What ``student.f.returning_args(...)`` gives: the result and the arguments as ``f`` left them."""

    result: Any
    args: tuple
    kwargs: dict


class StudentFunction:
    """A function of the student's notebook: ``f(*args, **kwargs)`` returns its result;
    ``f.returning_args(*args, **kwargs)`` returns a ``Called`` whose ``args``/``kwargs`` are the arguments after
    the call (arguments are copies, so a test sees in-place changes only this way)."""

    def __init__(self, session: Any, name: str) -> None:
        self._session, self.__name__ = session, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._session.call(self.__name__, list(args), kwargs)

    def returning_args(self, *args: Any, **kwargs: Any) -> Called:
        reply = self._session.call(self.__name__, list(args), kwargs, return_args=True)
        if not (isinstance(reply, dict) and isinstance(reply.get("args"), tuple) and len(reply["args"]) == len(args)
                and isinstance(reply.get("kwargs"), dict) and set(reply["kwargs"]) == set(kwargs)):
            raise StudentError("NotData", "the notebook's process sent an invalid reply")
        return Called(reply.get("result"), reply["args"], reply["kwargs"])


def changed_arguments(called: Called, *args: Any, **kwargs: Any) -> list[str]:
    """Which of the original arguments ``args``/``kwargs`` the call changed in place: names like ``"argument 1"``
    or ``"x"`` (keyword). Compares arrays exactly (NaN equal to NaN) and other values with ``==``."""

    def same(before: Any, after: Any) -> bool:
        if isinstance(before, np.ndarray):
            after = np.asarray(after)
            nan_equal = before.dtype.kind in "fc"
            return after.shape == before.shape and bool(np.array_equal(after, before, equal_nan=nan_equal))
        if isinstance(before, (list, tuple)) and isinstance(after, (list, tuple)):
            return len(before) == len(after) and all(same(b, a) for b, a in zip(before, after))
        if isinstance(before, dict) and isinstance(after, dict):
            return before.keys() == after.keys() and all(same(before[k], after[k]) for k in before)
        return bool(before == after)

    changed = [f"argument {i + 1}" for i, (b, a) in enumerate(zip(args, called.args)) if not same(b, a)]
    return changed + [k for k in kwargs if not same(kwargs[k], called.kwargs.get(k))]


class Student:
    """The student's namespace, seen from the grader: ``student.f(x)`` calls ``f`` in the sandbox.

    ``session`` provides ``get(name)`` (a value, or ``CALLABLE`` for a function) and
    ``call(name, args, kwargs, return_args=False)``.
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
        return StudentFunction(self._session, name)


@dataclass(frozen=True)
class Check:
    """One test function: the question it belongs to, its name for feedback (the docstring's first line), whether
    it is hidden."""

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
