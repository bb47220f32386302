{#-
    Dead rows: what an incremental build deletes, and when the space comes back.

    An incremental build deletes the rows of its touched keys (touched_keys.sql) or
    dates (summary_dates.sql) and appends them again. DuckDB keeps a deleted row in its
    row group; a checkpoint's vacuum may merge row groups to drop them. After a whole
    build of many days a day's rows sit in every row group, so a day's 10k to 22k
    rewritten rows per table touch all of them, and the vacuum then cost 1.4 to 1.7 s of
    one commit on dbt's critical path (a day on top of 30 days; session 14 in
    docs/benchmark-history.md) while dropping almost none of them (the 6M-row status
    table: 20,451 dead rows kept with it, 20,517 without). So every connection that
    writes the warehouse runs without it (`max_vacuum_tasks: 0`: profiles.yml, and
    orchestration/warehouse.py, since one writer with it on merges every table's
    deleted rows at its checkpoint), and this hook (on-run-end) rewrites a table of the
    models' schemas (the incremental models and the state tables beside them) once its
    deleted rows pass a share of the rows it stores (`compaction_dead_row_share`, 0.1
    in dbt_project.yml). So no table's dead rows pass that share at the end of a run; a
    big table, whose rows a day changes a small share of, is rewritten rarely, and less
    often as it grows; a small one that a run rewrites much of (the summaries, the
    state tables), often, at the cost of its size.

    The rewrite is `create or replace table ... as select * from` the table itself, in
    the same row order: the same columns, types and rows, so it changes no report (nor
    the order later runs' reads by key count on), and the old table's blocks
    are freed whole (a `delete` and an `insert` into the same table would leave a small
    table's dead rows in the row group its new rows fill). A table with a constraint,
    which that statement would drop, is never rewritten; dbt declares none on these
    models. The loader's raw tables (`not null` columns, not in these schemas) lose
    whole partitions to a rerun, and a checkpoint drops a row group whose rows are all
    deleted with or without the vacuum: only the row groups a partition shares with its
    neighbours keep dead rows.
-#}
{% macro compact_tables() %}
    {%- if not execute or flags.WHICH not in ('build', 'run') -%}{{ return('') }}{%- endif -%}
    {{ return(adapter.dispatch('compact_tables', 'whatsapp_reports')()) }}
{% endmacro %}

{#- Elsewhere (Spark) these models are rebuilt whole on every run. -#}
{% macro default__compact_tables() %}{{ return('') }}{% endmacro %}

{#- The reads here are DuckDB's catalog and row counts; the rewrites are the hook's SQL. -#}
{% macro duckdb__compact_tables() %}
    {%- set share = var('compaction_dead_row_share') | float -%}
    {%- set schemas = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model'
        and node.package_name == project_name and node.schema not in schemas -%}
        {%- do schemas.append(node.schema) -%}
    {%- endfor -%}
    {%- set stored_query -%}
        select tables.schema_name, tables.table_name, tables.estimated_size
        from duckdb_tables() as tables
        where
            tables.database_name = '{{ target.database }}'
            and tables.schema_name in ('{{ schemas | join("', '") }}')
            and tables.estimated_size > 0
            and not exists (
                select 1 from duckdb_constraints() as constraints
                where
                    constraints.database_name = tables.database_name
                    and constraints.schema_name = tables.schema_name
                    and constraints.table_name = tables.table_name
            )
    {%- endset -%}
    {%- set stored = run_query(stored_query).rows -%}
    {%- if not stored -%}{{ return('') }}{%- endif -%}
    {%- set live_query -%}
        {%- for row in stored %}
        select {{ loop.index0 }} as position, count(*) as live_rows
        from {{ stored_relation(row) }}
        {%- if not loop.last %} union all {% endif -%}
        {%- endfor -%}
    {%- endset -%}
    {%- set live = {} -%}
    {%- for row in run_query(live_query).rows -%}
        {%- do live.update({row[0] | int: row[1] | int}) -%}
    {%- endfor -%}
    {#- In the order the rows are stored (whole_build_order, in_touched_keys_of): the
        profile's `preserve_insertion_order: false` would let the copy swap its parts.
        Nothing runs on this connection after this hook. #}
    set preserve_insertion_order = true;
    {%- for row in stored -%}
        {%- set dead = (row[2] | int) - live[loop.index0] -%}
        {%- if dead > 0 and dead > share * (row[2] | int) -%}
            {%- set relation = stored_relation(row) %}
            create or replace table {{ relation }} as select * from {{ relation }};
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}

{#- The warehouse table of a (schema, table, ...) row of duckdb_tables(). -#}
{% macro stored_relation(row) -%}
    {{ return(api.Relation.create(database=target.database, schema=row[0], identifier=row[1])) }}
{%- endmacro %}
