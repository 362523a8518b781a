"""Reading an assignment folder: assignment.toml, its questions, limits and test files."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from autograder.sandbox import Limits

__all__ = ["Question", "RubricCriterion", "Assignment", "load_assignment", "GRADER_VERSION", "MAX_FILES_BYTES",
           "FILE_NAME"]

# Part of every assignment hash, so results written by an older grader are graded again.
GRADER_VERSION = "3"
_ID = re.compile(r"[a-z0-9_]+")
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_WEIGHTS = re.compile(r"[A-Za-z0-9_.-]+\.npz")
FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")  # a plain file name: no folders, not hidden
# The files an assignment ships with its notebook travel to the student's process in one message (64 MiB at most).
MAX_FILES_BYTES = 48 * 2**20


@dataclass(frozen=True)
class RubricCriterion:
    """One criterion of a question the instructor grades (``manual = true``): its id, points and description."""

    id: str
    points: float
    criterion: str = ""


@dataclass(frozen=True)
class Question:
    """A question of assignment.toml (docs/assignment-format.md).

    ``manual``: graded by the instructor in DIR/rubric.csv, by ``rubric`` criteria if it lists any.
    ``timeout``/``cpu_time``: the budget of this question's cells tagged ``training`` (wall-clock seconds per cell,
    CPU seconds added to the submission's limit). ``weights``: the file name of trained weights a student may hand in
    beside the notebook (``.npz``); when it is there, the question's ``training`` cells are not run."""

    id: str
    title: str
    points: float
    manual: bool = False
    rubric: tuple[RubricCriterion, ...] = ()
    timeout: float | None = None
    cpu_time: int | None = None
    weights: str | None = None


@dataclass(frozen=True)
class Assignment:
    """An assignment folder as the autograder sees it (see docs/assignment-format.md)."""

    root: Path
    title: str
    notebook: str
    questions: tuple[Question, ...]
    limits: Limits = Limits().resolved()
    forbidden_imports: tuple[str, ...] = ()  # modules student code may not import (and their submodules)
    allow_gpu: bool = False  # the sandbox may see the grading machine's GPUs (else CUDA_VISIBLE_DEVICES="")
    files: tuple[str, ...] = ()  # data files beside the notebook (a network's weights): released, and copied into
    # the working folder of the student's process before any cell runs
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

    def file_paths(self) -> list[Path]:
        """The data files the assignment ships with its notebook (``files`` in assignment.toml)."""
        return [self.root / name for name in self.files]

    def fingerprint(self) -> str:
        """A hash of everything that decides a grade except the submission: config, tests, grader version."""
        digest = hashlib.sha256(GRADER_VERSION.encode())
        for path in [self.root / "assignment.toml", *self.test_files(), *self.file_paths()]:
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
    questions = [_question(path, q) for q in data.get("questions", [])]
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
    if not isinstance(data.get("allow_gpu", False), bool):
        raise ValueError(f"{path}: allow_gpu must be true or false, got {data['allow_gpu']!r}")
    notebook = data.get("notebook", f"{root.name}.ipynb")
    files = _files(path, data.get("files", []), notebook)
    assignment = Assignment(root, data.get("title", root.name), notebook, tuple(questions), limits, tuple(forbidden),
                            data.get("allow_gpu", False), files)
    manual = {q.id for q in questions if q.manual}
    for test in assignment.test_files():
        question = test.stem.removeprefix("test_")
        if question not in ids:
            raise ValueError(f"{test}: tests a question {question!r} that assignment.toml does not list ({ids})")
        if question in manual:
            raise ValueError(f"{test}: tests {question!r}, which is graded by the instructor (manual = true)")
    return assignment


def _files(path: Path, files: object, notebook: str) -> tuple[str, ...]:
    """The ``files`` list, checked: plain names of existing files beside assignment.toml, small enough to send."""
    if not isinstance(files, list) or not all(isinstance(f, str) and FILE_NAME.fullmatch(f) for f in files):
        raise ValueError(f"{path}: files must be a list of file names in the assignment's folder (no folders), such "
                         f"as [\"fashion_cnn.npz\"], got {files!r}")
    if len(set(files)) != len(files) or {"assignment.toml", notebook} & set(files):
        raise ValueError(f"{path}: files must name each file once, and neither assignment.toml nor the notebook "
                         f"(they are released anyway), got {files!r}")
    missing = [f for f in files if not (path.parent / f).is_file()]
    if missing:
        raise ValueError(f"{path}: files lists {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
                         f"not in {path.parent}")
    size = sum((path.parent / f).stat().st_size for f in files)
    if size > MAX_FILES_BYTES:
        raise ValueError(f"{path}: the files add up to {size / 2**20:.0f} MiB, more than the "
                         f"{MAX_FILES_BYTES // 2**20} MiB the grader sends to the student's process")
    return tuple(files)


def _question(path: Path, q: dict) -> Question:
    """One [[questions]] table, checked: raise ValueError naming the question and the key that is wrong."""
    if not isinstance(q, dict) or not _ID.fullmatch(str(q.get("id", ""))):
        raise ValueError(f"{path}: question id must match [a-z0-9_]+, got {q.get('id') if isinstance(q, dict) else q!r}")
    where = f"{path}: question {q['id']}:"
    for key in ("points", "timeout", "cpu_time"):
        value = q.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
            raise ValueError(f"{where} {key} must be a positive number, got {value!r}")
    if not isinstance(q.get("manual", False), bool):
        raise ValueError(f"{where} manual must be true or false, got {q['manual']!r}")
    weights = q.get("weights")
    if weights is not None and not (isinstance(weights, str) and _WEIGHTS.fullmatch(weights)):
        raise ValueError(f"{where} weights must be a file name ending in .npz (no folders), got {weights!r}")
    rubric = []
    for c in q.get("rubric", []):
        if not (isinstance(c, dict) and _ID.fullmatch(str(c.get("id", ""))) and not isinstance(c.get("points"), bool)
                and isinstance(c.get("points"), (int, float)) and c["points"] > 0):
            raise ValueError(f"{where} each rubric criterion needs an id ([a-z0-9_]+) and positive points, got {c!r}")
        rubric.append(RubricCriterion(c["id"], float(c["points"]), str(c.get("criterion", ""))))
    points = float(q.get("points", 1))
    if rubric and abs(sum(c.points for c in rubric) - points) > 1e-9:
        raise ValueError(f"{where} the rubric's points add up to {sum(c.points for c in rubric):g}, not the "
                         f"question's {points:g}")
    if rubric and not q.get("manual"):
        raise ValueError(f"{where} a rubric needs manual = true (the instructor grades it in rubric.csv)")
    cpu = q.get("cpu_time")
    return Question(q["id"], q.get("title", q["id"]), points, q.get("manual", False), tuple(rubric),
                    None if q.get("timeout") is None else float(q["timeout"]), None if cpu is None else int(cpu),
                    weights)
