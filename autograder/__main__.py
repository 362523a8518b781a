"""Command line: ``python -m autograder release|check|grade|export ...`` (also the ``autograder`` console script)."""

from __future__ import annotations

import argparse
import os
import sys

from autograder.check import check_notebook
from autograder.export import CANVAS_ID_COLUMNS, EXPORT_FORMATS, MOODLE_ID_COLUMNS, export_gradebook
from autograder.cluster import ClusterError  # cheap: distributed is imported only for a cluster run
from autograder.grade import grade
from autograder.release import release
from autograder.report import check_text, summary_markdown

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograder", description="Release, check and grade notebook assignments.")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("release", help="write the student version of an assignment")
    p.add_argument("assignment", help="the assignment folder (with assignment.toml)")
    p.add_argument("--out", required=True, help="the folder to write the student version into")
    p = commands.add_parser("check", help="run the public tests on a saved notebook (exit 1 if a check fails)")
    p.add_argument("notebook")
    p = commands.add_parser("grade", help="grade every submission in a folder (resumable)")
    p.add_argument("assignment", help="the assignment folder (with assignment.toml and tests/hidden)")
    p.add_argument("submissions", help="a folder of <student>.ipynb files or <student>/ folders")
    p.add_argument("--out", required=True, help="where results/, feedback/, gradebook.csv and summary go")
    p.add_argument("--jobs", type=int, default=None, help="submissions graded in parallel (default: all cores)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    _export_arguments(p, "--export", action="append", default=[],
                      help="also write DIR/gradebook_<format>.csv for Canvas or Moodle (may be given twice)")
    cluster = p.add_mutually_exclusive_group()
    cluster.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                         help="grade on the Dask cluster of this scheduler (see docs/autograder.md)")
    cluster.add_argument("--dask-workers", type=int, metavar="N", help="grade on a local Dask cluster of N workers")
    p = commands.add_parser("export", help="write DIR/gradebook_<format>.csv from DIR/gradebook.csv")
    p.add_argument("assignment", help="the assignment folder (its title and points go into the export)")
    p.add_argument("out", help="the --out folder of `grade`, holding gradebook.csv")
    _export_arguments(p, "--format", required=True, help="the learning-management system's format")
    return parser


def _export_arguments(p: argparse.ArgumentParser, flag: str, **kwargs: object) -> None:
    p.add_argument(flag, choices=EXPORT_FORMATS, **kwargs)
    p.add_argument("--id-column", choices=sorted({*CANVAS_ID_COLUMNS, *MOODLE_ID_COLUMNS}),
                   help="which identifier the student names are: Canvas sis_login_id (default), sis_user_id or id; "
                        "Moodle username (default), email or idnumber")


def main(argv: list[str] | None = None) -> int:
    """Run a command; exit codes: 0 done (check: every public check passed), 1 check failed or a submission
    got no grade, 2 bad usage or a broken assignment, 3 the Dask cluster could not be reached or went away."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "release":
            print(f"wrote {release(args.assignment, args.out)}")
            return 0
        if args.command == "check":
            if not os.path.isfile(args.notebook):
                raise ValueError(f"check: no such notebook file: {args.notebook}")
            result = check_notebook(args.notebook)
            print(check_text(result))
            return 0 if result.all_passed else 1
        if args.command == "export":
            print(f"wrote {export_gradebook(args.assignment, args.out, args.format, args.id_column)}")
            return 0
        summary = grade(args.assignment, args.submissions, args.out, args.jobs, progress=not args.no_progress,
                        scheduler=args.scheduler, dask_workers=args.dask_workers)
    except (ValueError, OSError) as error:
        print(f"autograder: {error}", file=sys.stderr)
        return 2
    except ClusterError as error:
        print(f"autograder: {error}", file=sys.stderr)
        return 3
    print(summary_markdown(summary))
    print(f"graded {len(summary.graded)}, skipped {len(summary.skipped)} already graded and unchanged")
    for student, error in summary.failed.items():
        print(f"NO GRADE for {student}: {error}", file=sys.stderr)
    try:
        for export_format in dict.fromkeys(args.export):
            print(f"wrote {export_gradebook(args.assignment, args.out, export_format, args.id_column)}")
    except ValueError as error:
        print(f"autograder: {error}", file=sys.stderr)
        return 2
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
