"""Gradebook exports for Canvas and Moodle, read back as those systems parse them."""

from __future__ import annotations

import csv
import io

import pytest

from autograder.export import canvas_csv, moodle_csv, read_gradebook

TOTALS = {"bob": 12.5, "alice": 24.0, "carol": 0.0}


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_canvas_layout_points_row_and_identifier_column():
    text = canvas_csv(TOTALS, "A1: Neurons and backpropagation", 24, id_column="sis_login_id")
    table = rows(text)
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "A1: Neurons and backpropagation"]
    assert table[1][0] == "Points Possible" and table[1][-1] == "24"
    # One row per student, sorted, the identifier where Canvas looks for it and the points in the last column.
    assert [(r[3], r[5]) for r in table[2:]] == [("alice", "24"), ("bob", "12.5"), ("carol", "0")]
    assert all(r[0] == r[1] == r[2] == "" for r in table[2:])
    other = rows(canvas_csv(TOTALS, "A1", 24, id_column="sis_user_id"))
    assert [r[2] for r in other[2:]] == ["alice", "bob", "carol"] and all(r[3] == "" for r in other[2:])


def test_moodle_layout_has_identifier_grade_and_feedback():
    table = rows(moodle_csv(TOTALS, "A1", 24, id_column="email", feedback={"bob": "see feedback/bob.md"}))
    assert table[0] == ["Email address", "A1", "Feedback"]
    assert table[1:] == [["alice", "24", "24 of 24 points"], ["bob", "12.5", "see feedback/bob.md"],
                         ["carol", "0", "0 of 24 points"]]


def test_titles_with_commas_and_quotes_survive_csv_quoting():
    title = 'A1, "neurons"'
    assert rows(canvas_csv(TOTALS, title, 24))[0][-1] == title
    assert rows(moodle_csv(TOTALS, title, 24))[0][1] == title


@pytest.mark.parametrize("export", [canvas_csv, moodle_csv])
def test_unknown_identifier_column_is_refused(export):
    with pytest.raises(ValueError, match="id_column must be one of"):
        export(TOTALS, "A1", 24, id_column="name")


def test_read_gradebook_round_trip_and_bad_file(tmp_path):
    good = tmp_path / "gradebook.csv"
    good.write_text("student,q1,q2,total\nalice,2,3.5,5.5\nbob,0,1,1\n")
    assert read_gradebook(good) == {"alice": 5.5, "bob": 1.0}
    bad = tmp_path / "other.csv"
    bad.write_text("name,score\nalice,3\n")
    with pytest.raises(ValueError, match="not a gradebook"):
        read_gradebook(bad)
