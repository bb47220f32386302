"""The one daily partitions definition, shared by every partitioned asset.

A partition is a landing `dt` folder: the UTC date on which the platform logged the
lines (raw-logs.md), not the date of the events inside them.
"""

from dagster import DailyPartitionsDefinition

# Conversation-based pricing, the oldest era the rules cover, began on 2022-02-01.
FIRST_PARTITION = "2022-01-01"

daily_partitions = DailyPartitionsDefinition(start_date=FIRST_PARTITION, timezone="UTC")
