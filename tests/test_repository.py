"""The repository is complete on its own: no file points to a path outside it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast

ROOT = Path(__file__).parent.parent
# A path that climbs out of the repository, or names files that live outside it.
OUTSIDE = re.compile(r"\.\./shared|shared[/]spec|stack-notes\.md|(?<![\w/])(raw-logs|outputs)\.md")


def test_no_tracked_file_points_outside_the_repository():
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    offending = []
    for name in files:
        path = ROOT / name
        if path.suffix in {".png", ".gz", ".parquet", ".duckdb"} or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        offending += [f"{name}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
    assert offending == []


def test_the_rules_the_models_cite_are_written_in_the_repository():
    rules = (ROOT / "docs" / "rules.md").read_text()
    written = set(re.findall(r"\*\*R(\d+)\*\*", rules))
    cited = set()
    for path in (ROOT / "models").rglob("*"):
        if path.suffix in {".sql", ".yml", ".md"}:
            cited |= set(re.findall(r"\bR(\d{1,2})\b", path.read_text()))
    assert cited and cited <= written, sorted(cited - written, key=int)
