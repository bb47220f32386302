"""dbt run as a subprocess, the way the CLI runs it: the dbt installed beside this
interpreter, on this project and its profiles, writing into a target folder the caller
names (or one of its own)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orchestration.settings import DBT_PROFILES_DIR, DBT_PROJECT_DIR, Settings


def dbt_command(*args: str, target: Path) -> list[str]:
    """The command line of the dbt beside this interpreter, on this project and its
    profiles, writing into `target`."""
    return [
        str(Path(sys.executable).parent / "dbt"),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROFILES_DIR),
        "--target-path",
        str(target),
    ]


def run_dbt(
    *args: str, target: Path, capture: bool = False, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run `dbt_command` from the project folder (dbt finds its packages and paths
    there); its output as text, its exit code left to the caller."""
    return subprocess.run(
        dbt_command(*args, target=target),
        cwd=DBT_PROJECT_DIR,
        capture_output=capture,
        text=True,
        check=False,
        env=env,
    )


@contextmanager
def dbt_in_own_target(
    *args: str, settings: Settings, capture: bool = False
) -> Iterator[tuple[subprocess.CompletedProcess, Path]]:
    """The dbt installed beside this interpreter, on this project and its profiles, with
    the environment of `settings` (`Settings.dbt_env`).

    Each call writes into a target folder of its own (seeded with the project's partial
    parse state, as dagster-dbt does), so two commands at once never write the same
    manifest; the folder is removed when the caller is done with what dbt wrote.
    """
    shared = DBT_PROJECT_DIR / "target"
    shared.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cli-", dir=shared) as folder:
        target = Path(folder)
        if (shared / "partial_parse.msgpack").exists():
            shutil.copyfile(shared / "partial_parse.msgpack", target / "partial_parse.msgpack")
        yield (
            run_dbt(*args, target=target, capture=capture, env=os.environ | settings.dbt_env()),
            target,
        )
