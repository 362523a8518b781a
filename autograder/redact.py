"""Keep hidden inputs and expected values out of what students read.

A failed hidden check shows its name (the docstring's first line) and a message from which the grader has removed
every array and number that came from the test: ``np.testing``'s ACTUAL/DESIRED dumps become a summary (how many
entries differ, the shapes, the order of magnitude of the largest absolute and relative error), and any other
number in the message becomes ``…``. Integer tuples (shapes), line and argument numbers and numbers the check's name
itself states survive. The grader does this for every hidden check, so a test author cannot leak a hidden value by
accident.
"""

from __future__ import annotations

import re

__all__ = ["redact", "summarize_numpy_failure", "MASK"]

MASK = "…"
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.])")
_SHAPE = re.compile(r"\((?:\s*\d+\s*,)*\s*\d*\s*,?\s*\)")  # (3, 16), (3,), ()
_LINE = re.compile(r"\b(?:lines?|arguments?) \d+")  # where the student's code is; which argument changed
_BRACKETS = re.compile(r"\[[^\[\]]*\]")
_PRIVATE = 0xE000  # kept pieces are parked as Unicode private-use characters while numbers are masked


def _mask_numbers(text: str, allowed: set[str]) -> str:
    kept: list[str] = []

    def protect(match: re.Match) -> str:
        kept.append(match.group(0))
        return chr(_PRIVATE + len(kept) - 1)

    text = _LINE.sub(protect, _SHAPE.sub(protect, text))
    text = text.replace("array(", "\x02")
    while True:  # innermost brackets first, so a nested array collapses into one mark
        masked = _BRACKETS.sub(lambda m: "\x01" if "\x01" in m.group(0) or _NUMBER.search(m.group(0)[1:-1])
                               else m.group(0), text)
        if masked == text:
            break
        text = masked
    text = re.sub(r"\x02\x01(?:, dtype=\w+)?\)|\x01", "[" + MASK + "]", text).replace("\x02", "array(")
    text = _NUMBER.sub(lambda m: m.group(0) if m.group(0).lstrip("+-") in allowed else MASK, text)
    return re.sub(f"[{chr(_PRIVATE)}-{chr(_PRIVATE + 4095)}]", lambda m: kept[ord(m.group(0)) - _PRIVATE], text)


def _magnitude(text: str) -> str:
    """An error's order of magnitude only ("about 2e+03"): an exact error of a chosen answer (say zeros) would
    give the expected value away."""
    try:
        return f"about {float(text.strip()):.0e}"
    except ValueError:
        return "(not a number)"


def summarize_numpy_failure(message: str) -> tuple[list[str], str] | None:
    """What an ``np.testing`` assertion message says without its arrays: (facts that are safe to show: shapes,
    how many entries differ, the largest errors; the test author's own note), or None if it is not one."""
    if not re.search(r"Mismatched elements|\n\s*(ACTUAL|DESIRED|x|y): |Arrays are not|Not equal to tolerance|"
                     r"Items are not equal", message):
        return None
    body = re.split(r"\n\s*(?:ACTUAL|DESIRED|x|y):", message, maxsplit=1)[0]
    facts = []
    shapes = re.search(r"\(shapes (\([\d, ]*\)), (\([\d, ]*\)) mismatch\)", body)
    if shapes:
        facts.append(f"the result has shape {shapes.group(1)} where {shapes.group(2)} is expected")
    counts = re.search(r"Mismatched elements: (\d+) / (\d+)", body)
    if counts:
        facts.append(f"{counts.group(1)} of {counts.group(2)} entries differ from the expected values")
    for kind in ("absolute", "relative"):
        found = re.search(rf"Max {kind} difference(?: among violations)?: ([^\n]+)", body)
        if found:
            facts.append(f"largest {kind} error {_magnitude(found.group(1))}")
    if not facts:
        facts.append("the values differ from the expected ones")
    known = re.compile(r"^\s*$|Not equal to tolerance|Arrays are not|Items are not equal|Mismatched elements|"
                       r"Max (absolute|relative) difference|\(shapes .* mismatch\)|x and y nan|^\s*\(mismatch")
    # The author's err_msg sits between numpy's first line and its statistics ("Mismatch at indices" lists values).
    lines = body.strip("\n").split("\n")[1:]
    stop = next((i for i, line in enumerate(lines) if re.match(r"\s*(Mismatch|Max |\(shapes)", line)), len(lines))
    note = " ".join(line.strip() for line in lines[:stop] if not known.search(line))
    return facts, note


def redact(message: str, allowed_text: str = "") -> str:
    """The message of a failed hidden check as students may see it; numbers in ``allowed_text`` (the check's
    name, which feedback shows anyway) are kept."""
    allowed = {m.group(0).lstrip("+-") for m in _NUMBER.finditer(allowed_text)}
    summary = summarize_numpy_failure(message)
    if summary is None:
        return _mask_numbers(message, allowed)
    facts, note = summary
    return (_mask_numbers(note, allowed) + ": " if note else "") + "; ".join(facts)
