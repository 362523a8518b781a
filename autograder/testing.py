"""What instructors' tests see: the ``student`` proxy, StudentError, and loading the test files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

import numpy as np

from autograder.config import Assignment

__all__ = ["StudentError", "Student", "StudentFunction", "StudentObject", "Called", "changed_arguments", "Check",
           "load_checks", "parameter_count", "parameter_shapes", "state_dict_arrays", "handed_in_arrays",
           "trained_model", "accuracy_of"]


class StudentError(Exception):
    """The student's code raised, timed out, crashed or returned something that is not data.

    ``type_name`` is the student's exception type (``"ValueError"``), or what the grader itself observed:
    ``"Stopped"`` (timed out, crashed, or not run because of an earlier timeout or crash), ``"NotDefined"``
    (no such name in the notebook), ``"NotData"`` (the result cannot cross the process boundary as data) or
    ``"BadWeights"`` (a handed-in weights file cannot be read or does not fit the student's model).
    """

    def __init__(self, type_name: str, message: str, where: str = "") -> None:
        if type_name in ("Stopped", "NotDefined", "NotData", "BadWeights"):
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
    """A function (or class, or method of a ``StudentObject``) of the student's notebook: ``f(*args, **kwargs)``
    returns its result (calling a class returns a ``StudentObject``); ``f.returning_args(*args, **kwargs)`` returns a
    ``Called`` whose ``args``/``kwargs`` are the arguments after the call (arguments are copies, so a test sees
    in-place changes only this way); ``f.returning_handle(*args, **kwargs)`` keeps the result in the student's
    process and returns a ``StudentObject`` for it (a factory such as ``make_model()``)."""

    def __init__(self, session: Any, name: str, owner: StudentObject | None = None) -> None:
        self._session, self.__name__, self._owner = session, name, owner

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._session.call(self.__name__, list(args), kwargs, owner=self._owner)

    def returning_handle(self, *args: Any, **kwargs: Any) -> StudentObject:
        return self._session.call(self.__name__, list(args), kwargs, owner=self._owner, as_handle=True)

    def returning_args(self, *args: Any, **kwargs: Any) -> Called:
        reply = self._session.call(self.__name__, list(args), kwargs, return_args=True, owner=self._owner)
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


class StudentObject:
    """An object that lives in the student's process (an ``nn.Module`` the test constructed, a trained model), seen
    through a handle: the object never crosses, only its id, valid in the session and the child that made it.

    ``obj(*args)`` calls it (``block(x)`` runs ``forward``); ``obj.method(*args)`` calls a method; ``obj.attr``
    reads an attribute: data comes back as data (tensors as arrays), an attribute that is not data as another
    ``StudentObject`` (``block.shortcut``). Tensors passed in arrive as tensors; results come back as tensors when
    the arguments held one, else as arrays. Timeouts, crashes and restarts apply to each call as for functions; after
    a restart of the student's process the object is gone (StudentError "Stopped")."""

    def __init__(self, session: Any, ref: Any, generation: int, label: str) -> None:
        self._session, self._ref, self._generation, self._label = session, ref, generation, label

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._session.call(None, list(args), kwargs, owner=self)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_session", "_ref", "_generation", "_label"):
            raise AttributeError(name)  # keep copy/pickle/repr machinery away from the sandbox
        value = self._session.get(name, owner=self)
        return StudentFunction(self._session, name, owner=self) if value is Student.CALLABLE else value

    def __repr__(self) -> str:
        return f"<student object {self._label}>"

    def __eq__(self, other: object) -> bool:
        """The same object of the same process (``changed_arguments`` compares handles this way)."""
        return isinstance(other, StudentObject) and (other._session, other._ref, other._generation) == \
            (self._session, self._ref, self._generation)

    def __hash__(self) -> int:
        return hash((id(self._session), self._ref, self._generation))


def _module_parameters(obj: StudentObject) -> dict:
    if not isinstance(obj, StudentObject):
        raise TypeError(f"expected a StudentObject (e.g. student.ResidualBlock(64, 128)), got {type(obj).__name__}")
    reply = obj._session.parameters(obj)
    if not (isinstance(reply, dict) and isinstance(reply.get("parameters"), list)
            and isinstance(reply.get("state"), dict)):
        raise StudentError("NotData", "the notebook's process sent an invalid reply")
    return reply


def parameter_count(obj: StudentObject, trainable_only: bool = True) -> int:
    """The number of (trainable) parameters of a student's PyTorch module, as ``sum(p.numel() ...)`` counts them."""
    return sum(int(np.prod(shape)) for _, shape, trainable in _module_parameters(obj)["parameters"]
               if trainable or not trainable_only)


def parameter_shapes(obj: StudentObject) -> dict[str, tuple[int, ...]]:
    """``{name: shape}`` of ``named_parameters()`` of a student's PyTorch module, in its order."""
    return {name: tuple(shape) for name, shape, _ in _module_parameters(obj)["parameters"]}


def state_dict_arrays(obj: StudentObject) -> dict[str, np.ndarray]:
    """A student's module's ``state_dict()`` (parameters and buffers) as NumPy arrays."""
    state = obj.state_dict()
    if not (isinstance(state, dict) and all(isinstance(v, np.ndarray) for v in state.values())):
        raise StudentError("NotData", "state_dict() did not return a dict of tensors")
    return state


def handed_in_arrays(student: Student, filename: str) -> dict[str, np.ndarray] | None:
    """The named arrays of the .npz file ``filename`` the student handed in beside the notebook, or None if there
    is none. Read by the grader with ``allow_pickle=False``; StudentError("BadWeights") for a file that is not one."""
    return student._session.handed_in(filename)


def trained_model(student: Student, class_name: str, *args: Any, weights: str, trained: str = "model",
                  **kwargs: Any) -> StudentObject:
    """The student's trained model, without retraining it when they handed in weights.

    With the file ``weights`` beside the notebook: construct ``student.<class_name>(*args, **kwargs)`` in the sandbox
    and load the file's arrays into it (``load_state_dict``, strict); a file that does not fit the model raises
    StudentError("BadWeights") naming the missing, unexpected and mis-shaped entries. Without it: the notebook's
    own trained object, the variable ``trained`` (its training cells ran with the question's budget)."""
    arrays = handed_in_arrays(student, weights)
    if arrays is None:
        model = getattr(student, trained)
        if not isinstance(model, StudentObject):
            raise StudentError("NotDefined", f"no weights file {weights} beside the notebook, and `{trained}` in the "
                                             "notebook is not a trained model")
        return model
    model = getattr(student, class_name)(*args, **kwargs)
    if not isinstance(model, StudentObject):
        raise StudentError("NotDefined", f"`{class_name}` in your notebook is not a class")
    expected = _module_parameters(model)["state"]
    problems = [f"missing {k}" for k in expected if k not in arrays]
    problems += [f"unexpected {k}" for k in arrays if k not in expected]
    problems += [f"{k} has shape {tuple(arrays[k].shape)} in the file but {tuple(expected[k][0])} in the model"
                 for k in expected if k in arrays and tuple(arrays[k].shape) != tuple(expected[k][0])]
    if problems:
        shown = "; ".join(problems[:6]) + (f"; and {len(problems) - 6} more" if len(problems) > 6 else "")
        raise StudentError("BadWeights", f"the weights file {weights} does not fit your {class_name}({', '.join(map(repr, args))}): "
                                         f"{shown}. Save the model's state_dict() with np.savez after training it")
    model._session.load_weights(model, arrays)
    return model


def accuracy_of(predict: Any, images: np.ndarray, labels: np.ndarray, batch_size: int = 256) -> float:
    """The fraction of ``images`` (N, C, H, W) that ``predict`` (a StudentFunction or StudentObject) classifies as
    ``labels`` (N,). Only the images enter the student's process, in batches (arrays, or tensors if ``images`` is
    one); the labels stay here. ``predict`` may return class indices (n,) or scores (n, K) per batch, whose argmax is
    the prediction."""
    labels = np.asarray(labels)  # images stay as given: a test may pass a tensor, which the model expects
    if len(getattr(images, "shape", ())) < 2 or labels.shape != tuple(images.shape[:1]):
        raise ValueError(f"accuracy_of: expected images (N, ...) and labels (N,), got {tuple(getattr(images, 'shape', ()))} "
                         f"and {labels.shape}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"accuracy_of: batch_size must be a positive int, got {batch_size!r}")
    correct = 0
    for start in range(0, len(images), batch_size):
        batch = images[start:start + batch_size]
        out = np.asarray(predict(batch))
        if out.shape == (len(batch),) and out.dtype.kind in "iu":
            predicted = out
        elif out.ndim == 2 and out.shape[0] == len(batch) and out.dtype.kind in "fiu":
            predicted = out.argmax(axis=1)
        else:
            raise AssertionError(f"predict should return class indices ({len(batch)},) or scores ({len(batch)}, K) "
                                 f"for a batch of {len(batch)} images, got an array of shape {out.shape} and dtype "
                                 f"{out.dtype}")
        correct += int((predicted == labels[start:start + batch_size]).sum())
    return correct / len(images)


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
            return value  # data, or a StudentObject for an object that is not data (a trained model)
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
