"""A dbt-duckdb plugin: dbt attaches the warehouse that `WA_WAREHOUSE` names.

dbt keeps its parse of the project between runs only while the profile is unchanged,
and it counts the attached file's path as part of the profile. With the path written
into `profiles.yml` from the variable, each new warehouse file (a test's, a bench's, a
second environment's) cost a whole re-parse, about 3 s a dbt call. The profile now
names a fixed placeholder, and this plugin puts the settings' warehouse in its place
when dbt opens its connection, after the parse. Without the plugin the placeholder, a
path in a folder that does not exist, fails the attach loudly.

The plugin runs inside the dbt process, which it also spares a slow exit: when dbt
opens its connection, after loading the project, the objects dbt has built so far (the
manifest, the graph, the imported modules: a few million) are moved out of the cyclic
garbage collector's reach with `gc.freeze()`, as `wa-reports run` does for its own.
Collections during the build and the one at interpreter exit then skip them: the
process's exit went from 0.6-1.0 s to 0.1 s. A dbt process runs one command, so objects
frozen here that become garbage are freed when it exits.
"""

from __future__ import annotations

import gc

from dbt.adapters.duckdb.plugins import BasePlugin

from orchestration.settings import Settings
from orchestration.warehouse import memory_settings

ALIAS = "warehouse"
PLACEHOLDER = "wa-warehouse-set-by-plugin/warehouse.duckdb"


class Plugin(BasePlugin):
    """The warehouse path and memory limit come from `Settings` (the dbt process's
    environment: `Settings.dbt_env()`, or the variables of whoever runs dbt by hand)."""

    def update_connection_config(self, creds, config) -> None:
        for attachment in creds.attach or []:
            if attachment.alias == ALIAS and attachment.path == PLACEHOLDER:
                attachment.path = str(Settings.from_env().warehouse)
        gc.freeze()

    def configure_connection(self, conn) -> None:
        """The memory limit and spill folder of `WA_MEMORY_LIMIT` (warehouse.py)."""
        settings = Settings.from_env()
        for name, value in memory_settings(settings.warehouse, settings.memory_limit).items():
            conn.execute(f"set {name} = '{value}'")
