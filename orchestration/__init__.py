"""whatsapp-reports: the Dagster code location and the `wa-reports` CLI."""

import warnings

# With the Spark extra installed, Great Expectations imports pyspark, which warns that
# it does not support pandas 3 yet. GX only probes for it; nothing here runs pandas on
# Spark, so the warning is noise on every command.
warnings.filterwarnings(
    "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
)
