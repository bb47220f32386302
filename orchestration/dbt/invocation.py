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

PARTIAL_PARSE = "partial_parse.msgpack"


def saved_parse_state(dbt_target: str | None = None) -> Path:
    """The project's partial-parse state for a dbt target: `target/partial_parse.msgpack`
    for the engine's own (the runs'), `target/partial_parse.<target>.msgpack` for another
    (`serving`, the analyses'). dbt throws a state away, and parses everything again
    (about 3 s), when it was saved for another profile target."""
    name = PARTIAL_PARSE if dbt_target is None else f"partial_parse.{dbt_target}.msgpack"
    return DBT_PROJECT_DIR / "target" / name


def keep_partial_parse(invocation_target: Path, dbt_target: str | None = None) -> None:
    """Hand this invocation's partial-parse state to the next one of the same dbt target.

    dagster-dbt runs each invocation in a fresh target folder, seeded with the project's
    `target/partial_parse.msgpack`, and so does `dbt_in_own_target`. dbt rejects that
    file when the profile or a project file differs, and then parses everything (the
    warehouse path is not in the profile, orchestration/dbt/warehouse_plugin.py).
    Copying the file back after a call lets the next one parse only what changed.
    """
    produced = invocation_target / PARTIAL_PARSE
    if produced.exists():
        saved = saved_parse_state(dbt_target)
        staged = saved.with_name(f".{saved.name}.{os.getpid()}.tmp")
        shutil.copyfile(produced, staged)
        os.replace(staged, saved)


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
    *args: str, settings: Settings, capture: bool = False, dbt_target: str | None = None
) -> Iterator[tuple[subprocess.CompletedProcess, Path]]:
    """The dbt installed beside this interpreter, on this project and its profiles, with
    the environment of `settings` (`Settings.dbt_env`), on the profile's `dbt_target`
    (default: the engine's).

    Each call writes into a target folder of its own (seeded with the project's partial
    parse state for that dbt target, as dagster-dbt does, and handing it on), so two
    commands at once never write the same manifest; the folder is removed when the
    caller is done with what dbt wrote.
    """
    saved = saved_parse_state(dbt_target)
    saved.parent.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cli-", dir=saved.parent) as folder:
        target = Path(folder)
        if saved.exists():
            shutil.copyfile(saved, target / PARTIAL_PARSE)
        command = (*args, "--target", dbt_target) if dbt_target else args
        env = os.environ | settings.dbt_env()
        completed = run_dbt(*command, target=target, capture=capture, env=env)
        if completed.returncode == 0:
            keep_partial_parse(target, dbt_target)
        yield completed, target
