"""Print how long `make book` took to execute each chapter (from Jupyter Book's execution cache).

Each chapter must execute in at most 3 minutes on 2 cores; the table makes the budget visible in
every `make test` log without making a timed test of it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from jupyter_cache import get_cache

BUDGET_S = 180.0


def main(root: Path = Path(".")) -> int:
    cache_dir = root / "_build" / ".jupyter_cache"
    if not cache_dir.exists():
        print("no execution cache: run `make book` first", file=sys.stderr)
        return 1
    cache = get_cache(cache_dir)
    times = {}
    for record in cache.list_project_records():
        cached = cache.get_cached_project_nb(record.uri)
        if cached is not None:
            times[Path(record.uri).resolve().relative_to(root.resolve())] = cached.data.get("execution_seconds")
    total = 0.0
    print(f"{'chapter':<52} seconds (budget {BUDGET_S:.0f})")
    for path, seconds in sorted(times.items()):
        flag = "" if seconds is None or seconds <= BUDGET_S else "  OVER BUDGET"
        print(f"{str(path):<52} {seconds if seconds is None else round(seconds, 1)}{flag}")
        total += seconds or 0.0
    print(f"{'total':<52} {total:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
