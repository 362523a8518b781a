"""Reading an assignment folder: assignment.toml, its questions, limits and test files."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from autograder.sandbox import Limits

__all__ = ["Question", "Assignment", "load_assignment", "GRADER_VERSION"]

# Part of every assignment hash, so results written by an older grader are graded again.
GRADER_VERSION = "2"
_ID = re.compile(r"[a-z0-9_]+")
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


@dataclass(frozen=True)
class Question:
    id: str
    title: str
    points: float


@dataclass(frozen=True)
class Assignment:
    """An assignment folder as the autograder sees it (see docs/assignment-format.md)."""

    root: Path
    title: str
    notebook: str
    questions: tuple[Question, ...]
    limits: Limits = Limits().resolved()
    forbidden_imports: tuple[str, ...] = ()  # modules student code may not import (and their submodules)
    question_ids: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "question_ids", tuple(q.id for q in self.questions))
        object.__setattr__(self, "limits", self.limits.resolved())

    @property
    def source_notebook(self) -> Path:
        return self.root / self.notebook

    def test_files(self, hidden: bool = True) -> list[Path]:
        """The test files, public first, then hidden (only those that exist)."""
        kinds = ["public", "hidden"] if hidden else ["public"]
        return [p for kind in kinds for p in sorted((self.root / "tests" / kind).glob("test_*.py"))]

    def fingerprint(self) -> str:
        """A hash of everything that decides a grade except the submission: config, tests, grader version."""
        digest = hashlib.sha256(GRADER_VERSION.encode())
        for path in [self.root / "assignment.toml", *self.test_files()]:
            digest.update(path.relative_to(self.root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()


def load_assignment(root: str | Path) -> Assignment:
    """Read ``root/assignment.toml``; raise ValueError saying what is wrong with it."""
    root = Path(root).resolve()
    path = root / "assignment.toml"
    if not path.is_file():
        raise ValueError(f"assignment: expected a folder with assignment.toml, got {root}")
    with path.open("rb") as f:
        try:
            data = tomllib.load(f)
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{path}: {error}") from None
    questions = []
    for q in data.get("questions", []):
        if not _ID.fullmatch(str(q.get("id", ""))):
            raise ValueError(f"{path}: question id must match [a-z0-9_]+, got {q.get('id')!r}")
        questions.append(Question(q["id"], q.get("title", q["id"]), float(q.get("points", 1))))
    ids = [q.id for q in questions]
    if not ids or len(set(ids)) != len(ids):
        raise ValueError(f"{path}: expected at least one [[questions]] with unique ids, got {ids}")
    limits = Limits(**{k: data[k] for k in Limits._fields if k in data})
    for name, value in limits._asdict().items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
            raise ValueError(f"{path}: {name} must be a positive number, got {value!r}")
    forbidden = data.get("forbidden_imports", [])
    if not isinstance(forbidden, list) or not all(isinstance(m, str) and _MODULE.fullmatch(m) for m in forbidden):
        raise ValueError(f"{path}: forbidden_imports must be a list of module names such as [\"cnncourse\"], "
                         f"got {forbidden!r}")
    assignment = Assignment(root, data.get("title", root.name), data.get("notebook", f"{root.name}.ipynb"),
                            tuple(questions), limits, tuple(forbidden))
    for test in assignment.test_files():
        question = test.stem.removeprefix("test_")
        if question not in ids:
            raise ValueError(f"{test}: tests a question {question!r} that assignment.toml does not list ({ids})")
    return assignment
