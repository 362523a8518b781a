"""Turning result records into what people read: check output, feedback, gradebook, summary."""

from __future__ import annotations

import collections
import csv
import io
import statistics

from autograder.results import ClassSummary, GradingResult, QuestionResult, QuestionSummary

__all__ = ["check_text", "feedback_markdown", "gradebook_csv", "summarize", "summary_markdown"]


def _fmt(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _item(text: str, indent: str = "  ") -> str:
    """A message as part of one Markdown list item: continuation lines are indented under the item."""
    return text.replace("\n", "\n" + indent)


def check_text(result: GradingResult) -> str:
    """What ``check`` prints: one line per question, then each failed check with its message."""
    lines = [f"Checked {result.notebook} (the saved file: save the notebook first). Public checks only; "
             "hidden checks run when your work is graded."]
    lines += [f"PROBLEM: {_item(p)}" for p in result.problems]
    for qid, q in result.questions.items():
        if q.manual:
            lines.append(f"{qid} ({q.title}): graded by your instructor, not by checks")
            continue
        passed = sum(c.passed for c in q.checks)
        status = "passed" if passed == len(q.checks) else "FAILED"
        lines.append(f"{qid} ({q.title}): {status} ({passed}/{len(q.checks)} checks)")
        lines += [f"  - {c.name}: {_item(c.message, '    ')}" for c in q.checks if not c.passed]
        lines += [f"  ! {_item(p, '    ')}" for p in q.problems]
    return "\n".join(lines)


def feedback_markdown(student: str, result: GradingResult) -> str:
    """A student's feedback: score per question, every failed check by name with its message.

    Hidden checks appear by their one-line name and their redacted message only, never with their source. A
    message of several lines stays inside its list item. What the notebook printed is marked as the student's own.
    """
    lines = [f"# Feedback for {student}", "",
             f"**Total: {_fmt(result.total)} / {_fmt(result.max_total)}**", ""]
    if result.problems:
        lines += ["## Problems with the notebook", ""] + [f"- {_item(p)}" for p in result.problems] + [""]
    for qid, q in result.questions.items():
        if q.manual:
            lines += _manual_feedback(qid, q)
            continue
        lines += [f"## {qid}: {q.title} ({_fmt(q.score)} / {_fmt(q.points)})", ""]
        for c in q.checks:
            kind = "hidden check" if c.hidden else "check"
            mark = "passed" if c.passed else "FAILED"
            lines.append(f"- {mark} ({kind}): {c.name}" + ("" if c.passed else f"  \n  {_item(c.message)}"))
        lines += [f"- problem: {_item(p)}" for p in q.problems] + [""]
    if result.output.strip():
        lines += ["## What your notebook printed", "",
                  "Your notebook's own output while its cells ran (the last lines), shown to help you debug. "
                  "Grading did not use it: the scores above come from the checks alone.", "",
                  "```", result.output.rstrip().replace("```", "` ` `"), "```", ""]
    return "\n".join(lines)


def _manual_feedback(qid: str, q: QuestionResult) -> list[str]:
    """A question the instructor grades: the score per rubric criterion and the comment, or "not graded yet"."""
    if not q.graded:
        return [f"## {qid}: {q.title} (not graded yet / {_fmt(q.points)})", "",
                "- graded by your instructor; the score appears here once it is given", ""]
    lines = [f"## {qid}: {q.title} ({_fmt(q.score)} / {_fmt(q.points)})", "", "- graded by your instructor"]
    lines += [f"- {criterion}: {_fmt(points)}" for criterion, points in q.rubric.items() if criterion != qid]
    lines += [f"- comment: {_item(q.comment)}"] if q.comment else []
    return lines + [""]


def gradebook_csv(results: dict[str, GradingResult], question_ids: list[str]) -> str:
    """CSV text with columns student, one per question, total; rows sorted by student. A manual question the
    instructor has not graded yet is empty (the total counts what is graded)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *question_ids, "total"])
    for student in sorted(results):
        r = results[student]
        scores = [_fmt(r.questions[q].score) if r.questions[q].graded else "" for q in question_ids]
        writer.writerow([student, *scores, _fmt(r.total)])
    return buffer.getvalue()


def summarize(results: dict[str, GradingResult], question_ids: list[str]) -> ClassSummary:
    """Mean, spread, and per question: mean score, students without full marks, how often each check failed."""
    totals = [r.total for r in results.values()]
    per_question = {}
    for q in question_ids:
        scores = [r.questions[q].score for r in results.values()]
        points = next(iter(results.values())).questions[q].points if results else 0
        failed = collections.Counter(c.name for r in results.values() for c in r.questions[q].checks if not c.passed)
        manual = any(r.questions[q].manual for r in results.values())
        per_question[q] = QuestionSummary(statistics.fmean(scores) if scores else 0.0, points,
                                          sum(s < points for s in scores), dict(failed.most_common()),
                                          sum(not r.questions[q].graded for r in results.values()), manual)
    return ClassSummary(len(totals), next(iter(results.values())).max_total if results else 0,
                        statistics.fmean(totals) if totals else 0.0, statistics.pstdev(totals) if totals else 0.0,
                        min(totals, default=0.0), max(totals, default=0.0),
                        sorted(s for s, r in results.items() if r.problems), per_question)


def summary_markdown(summary: ClassSummary) -> str:
    lines = [f"# Grading summary ({summary.students} submissions)", "",
             f"Total: mean {summary.mean:.2f} / {_fmt(summary.max_total)}, standard deviation "
             f"{summary.stdev:.2f}, min {_fmt(summary.min)}, max {_fmt(summary.max)}", "",
             "| question | mean | points | students without full marks |", "|---|---|---|---|"]
    lines += [f"| {q} | {s.mean:.2f} | {_fmt(s.points)} | {s.students_not_full_marks} |"
              for q, s in summary.questions.items()]
    failing = [(n, q, name) for q, s in summary.questions.items() for name, n in s.failed_checks.items()]
    if failing:
        lines += ["", "Checks failed most often:", ""]
        lines += [f"- {n} x {q}: {name}" for n, q, name in sorted(failing, key=lambda f: -f[0])[:10]]
    manual = [f"{q} (not graded yet for {s.not_graded} of {summary.students})" if s.not_graded else q
              for q, s in summary.questions.items() if s.manual]
    if manual:
        lines += ["", "Graded by the instructor in rubric.csv: " + ", ".join(manual)]
    if summary.with_problems:
        lines += ["", "Notebooks with problems (see their feedback): " + ", ".join(summary.with_problems)]
    return "\n".join(lines) + "\n"
