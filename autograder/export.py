"""Gradebook exports in the column formats that learning-management systems import.

Both read ``gradebook.csv`` (student, one column per question, total), so they work on any finished
or resumed grading run. The student column holds the name of each submission (file or folder), so
name submissions by the identifier the LMS matches on (a login, an SIS id or an e-mail address).

- **Canvas** (Grades > Import): the columns Student, ID, SIS User ID, SIS Login ID and Section, then one
  column per assignment, and a "Points Possible" row under the header. Canvas matches a row by ID,
  SIS User ID or SIS Login ID; ``id_column`` says which of them holds the submission's name. A column
  whose header is a new assignment's name creates that assignment on import.
- **Moodle** (Grades > Import > CSV file): a header row, one column that identifies the user (mapped on
  import to username, e-mail address or ID number), and one column per grade item, plus a feedback
  column that Moodle can map to the grade item's feedback.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

__all__ = ["CANVAS_ID_COLUMNS", "EXPORT_FORMATS", "MOODLE_ID_COLUMNS", "canvas_csv", "moodle_csv", "read_gradebook",
           "export_gradebook"]

CANVAS_ID_COLUMNS = {"id": "ID", "sis_user_id": "SIS User ID", "sis_login_id": "SIS Login ID"}
MOODLE_ID_COLUMNS = {"username": "Username", "email": "Email address", "idnumber": "ID number"}
EXPORT_FORMATS = ("canvas", "moodle")


def read_gradebook(path: str | Path) -> dict[str, float]:
    """Student -> total points, from a ``gradebook.csv`` written by ``grade``."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if rows and ("student" not in rows[0] or "total" not in rows[0]):
        raise ValueError(f"{path} is not a gradebook: expected the columns student and total, got {list(rows[0])}")
    return {row["student"]: float(row["total"]) for row in rows}


def _choice(value: str, options: dict[str, str], what: str) -> str:
    if value not in options:
        raise ValueError(f"{what} must be one of {sorted(options)}, got {value!r}")
    return options[value]


def _text(rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _points(value: float) -> str:
    return f"{value:g}"


def canvas_csv(totals: dict[str, float], assignment_title: str, points_possible: float,
               id_column: str = "sis_login_id") -> str:
    """Canvas gradebook import: one row per student, the submission name in ``id_column``."""
    column = _choice(id_column, CANVAS_ID_COLUMNS, "id_column")
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment_title]
    rows: list[list[object]] = [header, ["Points Possible", "", "", "", "", _points(points_possible)]]
    for student in sorted(totals):
        row = ["", "", "", "", "", _points(totals[student])]
        row[header.index(column)] = student
        rows.append(row)
    return _text(rows)


def moodle_csv(totals: dict[str, float], assignment_title: str, points_possible: float,
               id_column: str = "username", feedback: dict[str, str] | None = None) -> str:
    """Moodle grade import: the user's identifier, the grade item's points and an optional feedback text."""
    column = _choice(id_column, MOODLE_ID_COLUMNS, "id_column")
    feedback = feedback or {}
    rows: list[list[object]] = [[column, assignment_title, "Feedback"]]
    for student in sorted(totals):
        rows.append([student, _points(totals[student]),
                     feedback.get(student, f"{_points(totals[student])} of {_points(points_possible)} points")])
    return _text(rows)


def export_gradebook(assignment_dir: str | Path, out: str | Path, export_format: str,
                     id_column: str | None = None) -> Path:
    """Write ``out/gradebook_<format>.csv`` from ``out/gradebook.csv`` for the assignment (its title names the grade
    column, its points are the points possible); return the path. ``id_column`` as in canvas_csv/moodle_csv."""
    from autograder.config import load_assignment  # keep this module importable without the rest of the grader

    if export_format not in EXPORT_FORMATS:
        raise ValueError(f"export format must be one of {list(EXPORT_FORMATS)}, got {export_format!r}")
    assignment = load_assignment(assignment_dir)
    gradebook = Path(out) / "gradebook.csv"
    if not gradebook.is_file():
        raise ValueError(f"export: no gradebook at {gradebook}: run `autograder grade` with --out {out} first")
    totals = read_gradebook(gradebook)
    points = sum(q.points for q in assignment.questions)
    if export_format == "canvas":
        text = canvas_csv(totals, assignment.title, points, **({"id_column": id_column} if id_column else {}))
    else:
        text = moodle_csv(totals, assignment.title, points, **({"id_column": id_column} if id_column else {}))
    path = Path(out) / f"gradebook_{export_format}.csv"
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    return path
