"""dbt glue: the project and its CLI resource, how a build reports to Dagster, the
manifest, dbt as a subprocess, and the DuckDB plugin that attaches the warehouse."""
