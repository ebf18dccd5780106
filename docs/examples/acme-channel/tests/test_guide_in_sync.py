# tests/test_guide_in_sync.py
"""The guide shows this plugin's files; this test keeps them byte-identical.

A fenced code block of ``docs/writing-a-plugin.md`` whose first line is a
comment naming a file of this example (``# marketbridge_acme/client.py``)
shows that file from its first line. A block whose first line adds
``(continued)`` goes on where the previous part of the file stopped, after
the blank lines PEP 8 puts there: one inside a class, two at the top level.
The parts, in the guide's order, must add up to the whole file.
"""
from __future__ import annotations

import re
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1]
GUIDE = EXAMPLE.parents[1] / "writing-a-plugin.md"
BLOCK = re.compile(r"^```[\w-]*\n(.*?)^```$", re.MULTILINE | re.DOTALL)
MARKER = re.compile(r"# (?P<path>[\w/.-]+\.(?:py|toml))(?P<continued> \(continued\))?\n")


def shown_in_guide() -> dict[str, str]:
    """Each file the guide shows, put together from its parts."""
    files: dict[str, str] = {}
    for block in BLOCK.findall(GUIDE.read_text(encoding="utf-8")):
        marker = MARKER.match(block)
        if marker is None:
            continue
        path = marker["path"]
        if marker["continued"]:
            assert path in files, f"{path}: a '(continued)' part comes before the file's first part"
            rest = block[marker.end():]
            files[path] += ("\n" if rest.startswith(" ") else "\n\n") + rest
        else:
            assert path not in files, f"{path} is shown from its first line twice"
            files[path] = block
    return files


def test_every_file_shown_in_the_guide_is_the_file_itself() -> None:
    for path, text in shown_in_guide().items():
        assert text == (EXAMPLE / path).read_text(encoding="utf-8"), f"the guide's {path} differs from the file"


def test_the_guide_shows_every_file_of_the_plugin() -> None:
    files = {str(p.relative_to(EXAMPLE)) for p in [*EXAMPLE.glob("marketbridge_acme/*.py"), *EXAMPLE.glob("tests/*.py")]}
    files = (files | {"pyproject.toml"}) - {"tests/test_guide_in_sync.py"}
    assert set(shown_in_guide()) == files
