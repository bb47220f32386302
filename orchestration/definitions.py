"""The Dagster code location: it assembles, it never computes.

`build_definitions(settings)` is the one list of assets, checks, jobs, schedules and
sensors, with the resources the settings give; `make dev` loads `defs` (the settings of
the environment) and `wa-reports run` builds its own from the command's settings.
"""

from dagster import Definitions

from orchestration.assets.checks import model_checks, raw_checks
from orchestration.assets.dbt import warehouse_dbt_assets
from orchestration.assets.ingest import (
    api_logs,
    bookkeeping_tables,
    phone_numbers,
    wabas,
    webhook_logs,
)
from orchestration.assets.serving import serving_marts
from orchestration.resources import build_resources
from orchestration.schedules import (
    daily_job,
    daily_schedule,
    landing_sensor,
    weekly_check_schedule,
    weekly_full_check,
)
from orchestration.settings import Settings


def build_definitions(settings: Settings) -> Definitions:
    return Definitions(
        assets=[
            api_logs,
            webhook_logs,
            phone_numbers,
            wabas,
            *bookkeeping_tables,
            warehouse_dbt_assets,
            serving_marts,
        ],
        asset_checks=[*raw_checks, *model_checks],
        jobs=[daily_job, weekly_full_check],
        schedules=[daily_schedule, weekly_check_schedule],
        sensors=[landing_sensor],
        resources=build_resources(settings),
    )


defs = build_definitions(Settings.from_env())
