"""Headless Chromium from Debian's `chromium` package, driven from its command line.

The flags are the ones this offline machine needs (no sandbox as root, no background
networking); `--virtual-time-budget` lets the page's scripts run to completion before
the DOM is dumped or the screenshot taken.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--allow-file-access-from-files",
    "--virtual-time-budget=15000",
]


def chromium() -> str:
    path = shutil.which("chromium")
    assert path, "Debian's chromium is not installed: `make test` installs it (apt-get)"
    return path


def _run(url: str, *extra: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        completed = subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, url],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout


def rendered_dom(url: str, screenshot: Path | None = None, height: int = 1000) -> str:
    """The DOM after scripts ran, with <script> bodies removed: only what is rendered.
    With `screenshot`, the same Chromium run also saves the page there as a PNG."""
    extra = [f"--window-size=1400,{height}"]
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        extra.append(f"--screenshot={screenshot}")
    dom = _run(url, "--dump-dom", *extra)
    if screenshot is not None:
        assert screenshot.stat().st_size > 10_000, "an empty screenshot"
    return re.sub(r"<script\b[^>]*>.*?</script>", "", dom, flags=re.S)
