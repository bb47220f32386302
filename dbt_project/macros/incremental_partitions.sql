{#-
    Staging models that explode the raw JSON are incremental by landing partition: a
    run replaces exactly the `dt` partitions whose files were (re)loaded since the model
    last took them in (the watermark is the raw rows' `loaded_at`, R28/R29). The loader
    replaces a partition whole, so replacing the same partitions here keeps a rerun, a
    late file and any order of loads equivalent to a full refresh.

    DuckDB: delete the partitions in a pre-hook, then append them. Spark: drop the
    partitions in the pre-hook, then insert_overwrite partitioned by dt. Dynamic
    partition overwrite alone would leave the old rows of a reloaded partition that now
    yields no row (a day whose every line became invalid); the drop removes them.
-#}

{#- The dt values (as text) of `ledger_source` loaded after this model's newest row,
    and those inside the run's partition window: the dates the orchestrator asked for
    (WA_PARTITIONS_FROM/TO, set by orchestration/partitions.py). The variables are read
    only at execution, so a new window never makes dbt re-parse the project. -#}
{% macro reloaded_partitions(ledger_source) %}
    {% if not execute or not is_incremental() %}{{ return([]) }}{% endif %}
    {%- set window_from = env_var('WA_PARTITIONS_FROM', '') -%}
    {%- set window_to = env_var('WA_PARTITIONS_TO', '') -%}
    {% set query %}
        select distinct cast(dt as {{ dbt.type_string() }}) as dt
        from {{ source('raw', 'load_ledger') }}
        where
            source = '{{ ledger_source }}'
            and (
                loaded_at > (
                    select coalesce(max(loaded_at), cast('1900-01-01' as {{ dbt.type_timestamp() }}))
                    from {{ this }}
                )
                {% if window_from and window_to %}
                    or (
                        dt >= cast('{{ modules.datetime.date.fromisoformat(window_from) }}' as date)
                        and dt <= cast('{{ modules.datetime.date.fromisoformat(window_to) }}' as date)
                    )
                {% endif %}
            )
    {% endset %}
    {{ return(run_query(query).columns[0].values() | list) }}
{% endmacro %}

{#- A SQL predicate: the row's dt is one of the reloaded partitions. -#}
{% macro in_reloaded_partitions(ledger_source, column='dt') %}
    {%- set partitions = reloaded_partitions(ledger_source) -%}
    {%- if partitions -%}
        cast({{ column }} as {{ dbt.type_string() }}) in ('{{ partitions | join("', '") }}')
    {%- else -%}
        1 = 0
    {%- endif -%}
{% endmacro %}

{#- The config of a staging model that replaces whole `dt` partitions of
    `ledger_source`, logging the `logged_columns` of the rows it removes. Use:
    {{ config(partition_replacement_config('api_logs', ['request_id'])) }}. -#}
{% macro partition_replacement_config(ledger_source, logged_columns) %}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': partition_replacement_strategy(),
        'partition_by': ['dt'],
        'pre_hook': "{{ clear_reloaded_partitions('" ~ ledger_source ~ "', "
            ~ (logged_columns | tojson | replace('"', "'")) ~ ") }}",
    }) }}
{% endmacro %}

{#- The incremental strategy that replaces whole partitions on this engine. -#}
{% macro partition_replacement_strategy() %}
    {{ return(adapter.dispatch('partition_replacement_strategy', 'whatsapp_reports')()) }}
{% endmacro %}
{% macro default__partition_replacement_strategy() %}{{ return('insert_overwrite') }}{% endmacro %}
{% macro duckdb__partition_replacement_strategy() %}{{ return('append') }}{% endmacro %}

{#- The pre-hook that clears the partitions about to be replaced, where needed. On
    DuckDB it first logs the keys (`logged_columns`) of the rows it deletes in
    `staging.replaced_rows`, for the touched-key models downstream (touched_keys.sql). -#}
{% macro clear_reloaded_partitions(ledger_source, logged_columns) %}
    {{ return(adapter.dispatch('clear_reloaded_partitions', 'whatsapp_reports')(ledger_source, logged_columns)) }}
{% endmacro %}
{% macro default__clear_reloaded_partitions(ledger_source, logged_columns) %}{% endmacro %}
{% macro spark__clear_reloaded_partitions(ledger_source, logged_columns) %}
    {%- set partitions = reloaded_partitions(ledger_source) if is_incremental() else [] -%}
    {%- if partitions -%}
        alter table {{ this }} drop if exists
        {% for dt in partitions -%}
            partition (dt = '{{ dt }}'){{ ", " if not loop.last }}
        {%- endfor %}
    {%- endif -%}
{% endmacro %}
{% macro duckdb__clear_reloaded_partitions(ledger_source, logged_columns) %}
    {%- if is_incremental() -%}
        insert into {{ incremental_state('replaced_rows') }} (source, {{ logged_columns | join(', ') }}, replaced_at)
        select distinct
            '{{ this.identifier }}',
            {{ logged_columns | join(', ') }},
            (select max(loaded_at) from {{ model_relation('load_ledger', 'source') }})
        from {{ this }}
        where {{ in_reloaded_partitions(ledger_source) }};
        delete from {{ this }} where {{ in_reloaded_partitions(ledger_source) }}
    {%- endif -%}
{% endmacro %}
