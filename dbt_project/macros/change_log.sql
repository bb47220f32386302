{#-
    What an incremental run rewrites, in three small pieces. The rest is dbt's own
    `delete+insert` and the models in models/changes/, which say in SQL which keys changed.

    1. `changes.successful_builds`: one row per dbt build that built every model and
       failed nothing, with the newest ledger load it took in. The newest row is the one
       watermark: a run takes in every load after it (models/changes/change_window.sql).
       A failed or partial run records nothing, and the next run takes in its loads again.
    2. `changes.replaced_rows_log`: the keys, and the times the changed-keys models read,
       of the staging rows a reloaded partition is about to replace. Written by the
       staging models' pre-hook (log_replaced_rows), so that a line that vanished from a
       rerun day still names the messages and conversations it touched.
    3. delete_changed_keys: a keyed model's pre-hook deletes the rows of every changed
       key before dbt inserts the rebuilt ones. dbt's `delete+insert` deletes only the
       keys the rebuilt rows hold; this also removes keys that no longer yield a row (a
       request whose line vanished, a day whose folder was deleted).
-#}

{#- on-run-start: the two tables above, on every engine. -#}
{% macro create_change_log() %}
    {%- set log_schema = api.Relation.create(database=target.database or none, schema='changes') -%}
    {% do run_query('create schema if not exists ' ~ log_schema) %}
    {% do run_query(
        'create table if not exists ' ~ source('changes', 'successful_builds') ~ ' ('
        ~ 'loaded_through ' ~ dbt.type_timestamp() ~ ', '
        ~ 'changed_after ' ~ dbt.type_timestamp() ~ ', '
        ~ 'is_full_refresh boolean, '
        ~ 'finished_at ' ~ dbt.type_timestamp() ~ ')' ~ table_format()
    ) %}
    {% do run_query(
        'create table if not exists ' ~ source('changes', 'replaced_rows_log') ~ ' ('
        ~ 'staging_model ' ~ dbt.type_string() ~ ', '
        ~ 'dt date, '
        ~ 'request_id ' ~ dbt.type_string() ~ ', '
        ~ 'message_id ' ~ dbt.type_string() ~ ', '
        ~ 'wamid ' ~ dbt.type_string() ~ ', '
        ~ 'conversation_id ' ~ dbt.type_string() ~ ', '
        ~ 'waba_id ' ~ dbt.type_string() ~ ', '
        ~ 'business_number ' ~ dbt.type_string() ~ ', '
        ~ 'user_number ' ~ dbt.type_string() ~ ', '
        ~ 'is_business_scoped_user boolean, '
        ~ 'happened_at ' ~ dbt.type_timestamp() ~ ', '
        ~ 'conversation_expires_at ' ~ dbt.type_timestamp() ~ ', '
        ~ 'replaced_at ' ~ dbt.type_timestamp() ~ ')' ~ table_format()
    ) %}
{% endmacro %}

{#- ` using parquet` where tables need a format (Spark), nothing on DuckDB. -#}
{% macro table_format() %}
    {{ return(adapter.dispatch('table_format', 'whatsapp_reports')()) }}
{% endmacro %}
{% macro default__table_format() %}{{ return(' using parquet') }}{% endmacro %}
{% macro duckdb__table_format() %}{{ return('') }}{% endmacro %}

{#- on-run-end: record the build when it built every model of the project and nothing
    failed or was skipped; then forget the replaced rows it has taken in. -#}
{% macro record_successful_build(results) %}
    {%- if not execute or flags.WHICH not in ('build', 'run') -%}{{ return('') }}{%- endif -%}
    {%- set models = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('package_name', 'equalto', project_name) | map(attribute='unique_id') | list -%}
    {%- set unselected = models | reject('in', selected_resources) | list -%}
    {%- set failed = results | map(attribute='status') | map('string')
        | select('in', ['error', 'fail', 'skipped', 'runtime error']) | list -%}
    {%- if unselected or failed -%}{{ return('') }}{%- endif -%}
    insert into {{ source('changes', 'successful_builds') }}
    select
        {{ newest_load() }},
        (select max(loaded_through) from {{ source('changes', 'successful_builds') }}),
        {{ 'true' if flags.FULL_REFRESH else 'false' }},
        {{ dbt.current_timestamp() }};
    {{ forget_replaced_rows() }}
{% endmacro %}

{#- Spark's Parquet tables delete nothing, and no run there logs replaced rows. -#}
{% macro forget_replaced_rows() %}
    {{ return(adapter.dispatch('forget_replaced_rows', 'whatsapp_reports')()) }}
{% endmacro %}
{% macro default__forget_replaced_rows() %}{{ return('') }}{% endmacro %}
{% macro duckdb__forget_replaced_rows() %}
    delete from {{ source('changes', 'replaced_rows_log') }}
    where replaced_at <= {{ newest_load() }}
{% endmacro %}

{#- Pre-hook of a staging model replaced by landing partition: log `columns` (log column
    -> this model's column) of its rows in the partitions about to be replaced. -#}
{% macro log_replaced_rows(ledger_source, columns) %}
    {%- if not is_incremental() -%}{{ return('') }}{%- endif -%}
    insert into {{ source('changes', 'replaced_rows_log') }}
        (staging_model, dt, {{ columns.keys() | join(', ') }}, replaced_at)
    select
        '{{ this.identifier }}',
        dt,
        {{ columns.values() | join(', ') }},
        {{ newest_load() }}
    from {{ this }}
    where dt in ({{ changed_partitions_of(ledger_source) }})
{% endmacro %}

{#- True before the first successful build: then every row is new, every keyed model is
    built whole, and the changes models list everything without following the fan-out
    (a full build of 1M messages: about 4 s less). Read when the model runs. -#}
{% macro no_successful_build_yet() %}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- set builds = run_query('select count(*) from ' ~ source('changes', 'successful_builds')) -%}
    {{ return(builds.columns[0].values()[0] == 0) }}
{% endmacro %}

{#- The newest load in the ledger: what this build takes in (no load runs beside a build:
    both hold the warehouse). -#}
{% macro newest_load() -%}
    (select max(loaded_at) from {{ source('raw', 'load_ledger') }})
{%- endmacro %}

{#- The landing partitions of `ledger_source` loaded since the last successful build. -#}
{% macro changed_partitions_of(ledger_source) -%}
    select dt from {{ ref('changed_partitions') }} where source = '{{ ledger_source }}'
{%- endmacro %}

{#- Pre-hook of a keyed model: delete the rows whose `key_expression` is one of the
    changed keys (`changed_column` of `changed_model`, optionally only where `where`). -#}
{% macro delete_changed_keys(key_expression, changed_model, changed_column=none, where=none) %}
    {%- if not is_incremental() -%}{{ return('') }}{%- endif -%}
    delete from {{ this }}
    where {{ key_expression }} in (
        select {{ changed_column or key_expression }}
        from {{ ref(changed_model) }}
        {%- if where %}
        where {{ where }}
        {%- endif %}
    )
{% endmacro %}
