"""A dbt-duckdb plugin: dbt attaches the warehouse that `WA_WAREHOUSE` names.

dbt keeps its parse of the project between runs only while the profile is unchanged,
and it counts the attached file's path as part of the profile. With the path written
into `profiles.yml` from the variable, each new warehouse file (a test's, a bench's, a
second environment's) cost a whole re-parse, about 3 s a dbt call. The profile now
names a fixed placeholder, and this plugin puts the variable's path in its place when
dbt opens its connection, after the parse. Without the plugin the placeholder, a path
in a folder that does not exist, fails the attach loudly.
"""

from __future__ import annotations

import os

from dbt.adapters.duckdb.plugins import BasePlugin

ALIAS = "warehouse"
PLACEHOLDER = "wa-warehouse-set-by-plugin/warehouse.duckdb"


class Plugin(BasePlugin):
    def update_connection_config(self, creds, config) -> None:
        for attachment in creds.attach or []:
            if attachment.alias == ALIAS and attachment.path == PLACEHOLDER:
                attachment.path = os.environ.get("WA_WAREHOUSE", "data/warehouse.duckdb")
