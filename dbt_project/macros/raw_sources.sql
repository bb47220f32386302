{#-
    The `raw` source tables exist before dbt runs, written by the Dagster loaders.
    DuckDB: tables in the warehouse file (orchestration/ingest/raw_schema.py), nothing to do.
    Spark: Parquet partitioned by dt under `$WA_LAKE_DIR/raw/` (orchestration/ingest/lake.py),
    declared here as external tables and their partitions re-read at every run start.
    The column types are the loader's DDL in Spark's spelling.
-#}
{% macro register_raw_sources() %}
    {{ return(adapter.dispatch('register_raw_sources', 'whatsapp_reports')()) }}
{% endmacro %}

{% macro default__register_raw_sources() %}{% endmacro %}

{% macro spark__register_raw_sources() %}
    {%- set lake = env_var('WA_LAKE_DIR', 'data/lake') ~ '/raw' -%}
    {%- set log_columns = 'source_file string, line_number int, received_at timestamp, raw_line string, loaded_at timestamp, dt date' -%}
    {%- set tables = {
        'api_logs': log_columns,
        'webhook_logs': log_columns,
        'quarantine': 'source string, source_file string, line_number int, reason string, raw_line string, loaded_at timestamp, dt date',
        'load_ledger': 'source string, source_file string, file_bytes bigint, file_mtime_ns bigint, lines_read int, lines_loaded int, lines_quarantined int, loaded_at timestamp, dt date',
    } -%}
    {% do run_query('create schema if not exists raw') %}
    {% for table, columns in tables.items() %}
        {% do run_query(
            'create table if not exists raw.' ~ table ~ ' (' ~ columns ~ ') using parquet'
            ~ ' partitioned by (dt) location \'' ~ lake ~ '/' ~ table ~ '\''
        ) %}
        {% do run_query('msck repair table raw.' ~ table ~ ' sync partitions') %}
    {% endfor %}
    {% do run_query(
        'create table if not exists raw.phone_numbers (source_file string, line_number int,'
        ~ ' waba_id string, phone_number string, phone_number_id string, display_name string,'
        ~ ' updated_at timestamp, raw_line string, loaded_at timestamp) using parquet'
        ~ ' location \'' ~ lake ~ '/phone_numbers\''
    ) %}
    {% do run_query(
        'create table if not exists raw.wabas (source_file string, line_number int,'
        ~ ' waba_id string, business_portfolio_id string, name string, timezone string,'
        ~ ' currency string, updated_at timestamp, raw_line string, loaded_at timestamp)'
        ~ ' using parquet location \'' ~ lake ~ '/wabas\''
    ) %}
    {% for table in tables.keys() | list + ['phone_numbers', 'wabas'] %}
        {% do run_query('refresh table raw.' ~ table) %}
    {% endfor %}
{% endmacro %}
