"""The record of one graded notebook, passed from the runner to reports, checks and the command line.

On disk (``results/<student>.json``) a result is ``GradingResult.to_dict()``; ``GradingResult.from_dict`` reads it back.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CheckResult", "QuestionResult", "GradingResult", "QuestionSummary", "ClassSummary"]


@dataclass
class CheckResult:
    """One check's outcome. ``message`` is what the student sees (for a hidden check: sanitised, see
    ``autograder.redact``); ``detail`` is the unsanitised message for instructors, empty when the same."""

    name: str
    hidden: bool
    passed: bool
    message: str = ""
    detail: str = ""


@dataclass
class QuestionResult:
    title: str
    points: float
    score: float
    checks: list[CheckResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # cells of this question that raised or timed out
    manual: bool = False  # graded by the instructor (rubric.csv), not by checks
    graded: bool = True  # False for a manual question the instructor has not scored yet
    comment: str = ""  # the instructor's comment on a manual question
    rubric: dict[str, float] = field(default_factory=dict)  # criterion id -> points the instructor gave

    @property
    def all_passed(self) -> bool:
        return all(c.passed for c in self.checks)


@dataclass
class GradingResult:
    """Per question score and checks, the notebook's problems and printed output, the protections that applied;
    ``grade`` adds the student, the hashes that decide whether a result is up to date, and the time."""

    notebook: str
    questions: dict[str, QuestionResult] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # about the whole notebook (unreadable, a cell raised...)
    output: str = ""  # the end of what the notebook printed while its cells ran (not used for grading)
    protections: list[str] = field(default_factory=list)
    total: float = 0.0
    max_total: float = 0.0
    seconds: float = 0.0
    submission_hash: str | None = None
    student: str = ""
    assignment_hash: str = ""
    graded_at: str = ""

    @property
    def all_passed(self) -> bool:
        """Every check of every question passed and the notebook had no problem."""
        return not self.problems and all(q.all_passed for q in self.questions.values())

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GradingResult:
        """Read a result written by ``to_dict`` (raises KeyError/TypeError if it is not one)."""
        questions = {qid: QuestionResult(**{**q, "checks": [CheckResult(**c) for c in q["checks"]]})
                     for qid, q in data["questions"].items()}
        return cls(**{**data, "questions": questions})


@dataclass
class QuestionSummary:
    mean: float
    points: float
    students_not_full_marks: int
    failed_checks: dict[str, int]  # check name -> how many students failed it, most often first
    not_graded: int = 0  # a manual question: students the instructor has not scored yet (rubric.csv)
    manual: bool = False


@dataclass
class ClassSummary:
    """A class's grades (``summary.json`` is ``to_dict()`` without the last three fields), and what this run did:
    ``graded``, ``skipped`` (already graded and unchanged) and ``failed`` (student -> why the grader failed)."""

    students: int
    max_total: float
    mean: float
    stdev: float
    min: float
    max: float
    with_problems: list[str]
    questions: dict[str, QuestionSummary]
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for run_only in ("graded", "skipped", "failed"):
            del data[run_only]
        return data
