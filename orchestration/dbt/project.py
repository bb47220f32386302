"""The dbt project, and the dbt resource that runs it with the settings' environment."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.compat import DBT_PYTHON_VERSION
from packaging.version import Version
from pydantic import Field

from orchestration.settings import DBT_PROFILES_DIR, DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROFILES_DIR)


@contextmanager
def _laid_over_environment(variables: dict[str, str]) -> Iterator[None]:
    """dagster-dbt starts dbt with a copy of this process's environment and offers no
    other way in: `variables` are laid over it while dbt starts, and the process's own
    values are put back as soon as it has started."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class WarehouseDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource, started with `environment` (`Settings.dbt_env()`:
    the warehouse, the lake, the engine, the memory limit), and without two things it
    does in this process before every invocation and this project never uses (about
    3 s a run in all):

    - a `dbt --version` subprocess, to tell dbt-core from the Fusion engine. The
      executable here is always the dbt-core installed beside this interpreter
      (`build_resources` names it), whose version dagster-dbt has already imported;
    - a dbt adapter of its own (the profile, the project's macros, a connection
      manager: 1.5 s), which only its `fetch_row_counts()` and `fetch_column_metadata()`
      use. The row counts come from the warehouse instead (orchestration/dbt/build.py);
      with no adapter, those two would add nothing.

    `tests/test_dbt_resource.py` fails if dagster-dbt runs the subprocess or builds the
    adapter through another way."""

    environment: dict[str, str] = Field(
        default_factory=dict, description="variables laid over the environment dbt starts with"
    )

    @cached_property
    def _cli_version(self) -> Version:
        return DBT_PYTHON_VERSION

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None

    def cli(self, args: Sequence[str], **kwargs: Any):
        with _laid_over_environment(self.environment):
            return super().cli(args, **kwargs)
