"""Putting a benchmark's report into a document between its markers."""
from __future__ import annotations

from pathlib import Path


def publish(text: str, write: Path | None, start: str, end: str) -> None:
    """Print a report, and put it into ``write`` between the markers when given."""
    print(text)
    if write:
        replace_section(write, text, start, end)


def replace_section(path: Path, text: str, start: str, end: str) -> None:
    """Replace what lies between the ``start`` and ``end`` markers of ``path`` with ``text``."""
    document = path.read_text()
    if start not in document or end not in document:
        raise SystemExit(f"{path} lacks the markers {start} and {end}")
    head, rest = document.split(start, 1)
    tail = rest.split(end, 1)[1]
    path.write_text(f"{head}{start}\n{text}{end}{tail}")
