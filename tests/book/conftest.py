"""Shared helpers for the book's tests: where the chapters and the built site live."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "_build" / "html"


def toc_documents() -> list[str]:
    """Every document named in _toc.yml, as a path without suffix relative to the root."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    docs = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                docs.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return docs


def chapter_notebooks() -> list[Path]:
    """The chapter notebooks under book/ (not checkpoints or build copies)."""
    return sorted(p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


@pytest.fixture(scope="session")
def built_book() -> Path:
    if not (BUILD / "index.html").exists():
        pytest.fail("the book is not built: run `make book` first (`make test` does)")
    return BUILD
