"""Putting a benchmark's report into a document between its markers."""
from __future__ import annotations

import os
import platform
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


def machine() -> str:
    """The machine a figure was measured on, e.g. "Linux x86_64 (AMD EPYC), 2 cores": figures move
    between machines (the same code measured up to twice as slow on another host)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    except OSError:
        model = platform.processor()
    return f"{platform.system()} {platform.machine()}{f' ({model})' if model else ''}, {os.cpu_count()} cores"
