"""Questions the instructor grades (``manual = true`` in assignment.toml): their scores come from ``DIR/rubric.csv``.

The file (UTF-8, comma-separated, a header row) has a ``student`` column (the names of ``gradebook.csv``), then per
manual question one column ``<question>:<criterion>`` per rubric criterion (or one column ``<question>`` when the
question lists no criteria) holding points from 0 to the criterion's points, and an optional ``<question>:comment``.
A question's score is the sum of its criteria; while any of them is empty the question is "not graded yet". The grader
writes a blank template when the file is missing and merges the file on every run: results and notebooks are not
touched (the rubric is not part of the assignment's fingerprint), only the gradebook, summary and feedback are rebuilt.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from dataclasses import dataclass
from pathlib import Path

from autograder.config import Assignment, Question
from autograder.results import GradingResult

__all__ = ["RUBRIC_FILE", "ManualScore", "rubric_columns", "rubric_template", "read_rubric", "merge_rubric",
           "apply_rubric"]

RUBRIC_FILE = "rubric.csv"


@dataclass(frozen=True)
class ManualScore:
    """One student's scores on one manual question: per criterion (None where the instructor left it empty)."""

    criteria: dict[str, float | None]
    comment: str = ""

    @property
    def score(self) -> float | None:
        """The question's score, or None while a criterion is not graded."""
        values = list(self.criteria.values())
        return None if not values or None in values else round(sum(values), 4)


def _criteria(question: Question) -> dict[str, float]:
    """Column -> maximum points for a manual question."""
    if not question.rubric:
        return {question.id: question.points}
    return {f"{question.id}:{c.id}": c.points for c in question.rubric}


def rubric_columns(assignment: Assignment) -> list[str]:
    """The columns of rubric.csv after ``student``."""
    return [column for q in assignment.questions if q.manual for column in [*_criteria(q), f"{q.id}:comment"]]


def rubric_template(assignment: Assignment, students: list[str]) -> str:
    """A blank rubric.csv: the header and one empty row per student."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = rubric_columns(assignment)
    writer.writerow(["student", *columns])
    writer.writerows([student, *[""] * len(columns)] for student in sorted(students))
    return buffer.getvalue()


def _points(text: str, maximum: float, where: str) -> float | None:
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= maximum:
        raise ValueError(f"{where}: expected points from 0 to {maximum:g}, got {text!r}")
    return value


def read_rubric(path: str | Path, assignment: Assignment) -> dict[str, dict[str, ManualScore]]:
    """Student -> question -> ManualScore from a rubric.csv; ValueError naming the row and column of a bad value,
    an unknown column (a typo would silently leave a question ungraded) or a student listed twice."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8-sig") as f:  # -sig: spreadsheets often save a byte-order mark
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        known = {"student", *rubric_columns(assignment)}
        unknown = [c for c in header if c not in known]
        if "student" not in header or unknown:
            raise ValueError(f"{path}: expected the columns {['student', *rubric_columns(assignment)]}, "
                             f"got {header} ({'unknown: ' + ', '.join(unknown) if unknown else 'no student column'})")
        scores: dict[str, dict[str, ManualScore]] = {}
        for row in reader:
            student = (row.get("student") or "").strip()
            if not student:
                continue
            if student in scores:
                raise ValueError(f"{path}: student {student!r} is listed twice")
            scores[student] = {}
            for q in (q for q in assignment.questions if q.manual):
                criteria = {column: _points(row.get(column) or "", maximum, f"{path}, row {student}, column {column}")
                            for column, maximum in _criteria(q).items()}
                scores[student][q.id] = ManualScore(criteria, (row.get(f"{q.id}:comment") or "").strip())
    return scores


def merge_rubric(results: dict[str, GradingResult], assignment: Assignment,
                 scores: dict[str, dict[str, ManualScore]]) -> dict[str, GradingResult]:
    """Copies of the results with each manual question's score, criteria and comment from the rubric (not graded
    yet where a criterion is empty) and totals recomputed. The results on disk are not changed."""
    merged = {}
    manual = [q for q in assignment.questions if q.manual]
    for student, result in results.items():
        result = GradingResult.from_dict(result.to_dict())
        for q in manual:
            if q.id not in result.questions:
                continue
            record = scores.get(student, {}).get(q.id)
            score = record.score if record else None
            result.questions[q.id] = dataclasses.replace(
                result.questions[q.id], manual=True, graded=score is not None, score=score or 0.0,
                comment=record.comment if record else "",
                rubric={c.split(":", 1)[-1]: v for c, v in record.criteria.items() if v is not None} if record else {})
        result.total = round(sum(q.score for q in result.questions.values()), 4)
        merged[student] = result
    return merged


def apply_rubric(out: Path, assignment: Assignment, results: dict[str, GradingResult]) -> dict[str, GradingResult]:
    """What ``grade`` does with the rubric at the end of every run: write a blank ``out/rubric.csv`` if the
    assignment has manual questions and there is none, else merge it; rewrite the feedback of students whose manual
    questions it scores or comments. Returns the merged results (for the gradebook and summary)."""
    from autograder.grade import write_atomic  # grade imports this module
    from autograder.report import feedback_markdown

    if not any(q.manual for q in assignment.questions):
        return results
    path = Path(out) / RUBRIC_FILE
    if not path.is_file():
        write_atomic(path, rubric_template(assignment, list(results)))
        return merge_rubric(results, assignment, {})
    merged = merge_rubric(results, assignment, read_rubric(path, assignment))
    for student, result in merged.items():
        if any(q.manual and (q.graded or q.comment) for q in result.questions.values()):
            feedback = Path(out) / "feedback" / f"{student}.md"
            text = feedback_markdown(student, result)
            if not feedback.is_file() or feedback.read_text(encoding="utf-8") != text:
                write_atomic(feedback, text)
    return merged
