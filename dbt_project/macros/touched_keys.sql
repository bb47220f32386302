{#-
    Models downstream of staging that grow with history are incremental by touched key
    on DuckDB: a run deletes and rebuilds only the requests, messages, wamids and
    conversations that the (re)loaded landing partitions can change, and, for the free
    tier, every conversation of a WABA-month from the earliest touched one on (R21).

    Where changes start. Everything a run can change comes from three staging tables:
    the rows loaded since the model's watermark (their `loaded_at`), and the rows a
    reloaded partition replaced. The staging pre-hooks log the keys of the rows they
    delete in `staging.replaced_rows` (incremental_partitions.sql) before deleting them,
    so a line that disappeared from a rerun day still touches its keys downstream.

    Each model's touched set is derived from those base changes through the current
    upstream tables and the model's own previous rows, written to
    `staging.touched_keys`, deleted from the model and rebuilt from it (pre-hook, then
    an append of the model's SQL filtered on the same keys). A post-hook records the
    newest ledger load the model has taken in (`staging.model_watermarks`). A model that
    fails keeps its old watermark, so the next run takes in everything since then.

    The models after the status deduplication rebuild the conversations and outgoing
    messages that its rewritten rows name. It logs them once, in
    `staging.status_row_keys`: the conversation and message ids of every row it
    replaces, before the delete and as appended, stamped with the load it took in
    (`logged_columns`). Each of those models reads the entries newer than its own
    watermark, rather than looking the touched wamids up in the 6M-row status table
    again (four models did, 0.4 to 0.6 s each, on a day on top of 30 days).

    Other engines build these models whole (materialized `table`): plain Parquet tables
    on Spark have no row delete; Delta's merge would be the way there.
-#}

{#- The state tables, created before any model runs (on-run-start). -#}
{% macro create_incremental_state() %}
    {{ return(adapter.dispatch('create_incremental_state', 'whatsapp_reports')()) }}
{% endmacro %}
{% macro default__create_incremental_state() %}{% endmacro %}
{% macro duckdb__create_incremental_state() %}
    {#- Only commands that build models need them (not compile against the serving copy). -#}
    {%- if flags.WHICH not in ('build', 'run') -%}{{ return('') }}{%- endif -%}
    create schema if not exists {{ target.database }}.staging;
    create table if not exists {{ incremental_state('replaced_rows') }} (
        source varchar, request_id varchar, message_id varchar, wamid varchar,
        conversation_id varchar, replaced_at timestamp
    );
    create table if not exists {{ incremental_state('model_watermarks') }} (model varchar, loaded_through timestamp);
    create table if not exists {{ incremental_state('touched_keys') }} (model varchar, key_value varchar);
    {#- Conversation and message ids named by status rows a build rewrote (logged_columns);
        a NULL key: the status rows were rebuilt whole. -#}
    create table if not exists {{ incremental_state('status_row_keys') }} (
        key_kind varchar, key_value varchar, loaded_through timestamp
    );
    {#- Keys changed since the serving copy was last published (orchestration/serving.py);
        a NULL key: the model was built whole. -#}
    create table if not exists {{ incremental_state('unpublished_keys') }} (model varchar, key_value varchar);
    {#- Report dates a fact model's rows left or entered since its summary last took them
        in (summary_dates.sql); a NULL date: the fact model was built whole. -#}
    create table if not exists {{ incremental_state('unsummarized_dates') }} (model varchar, date_value date)
{% endmacro %}

{#- A state table, in the warehouse's `staging` schema. -#}
{% macro incremental_state(name) -%}
    {#- Also rendered (never run) on engines without these tables, where there is no
        database level (Spark): hence `or none`. -#}
    {{ api.Relation.create(database=target.database or none, schema='staging', identifier=name) }}
{%- endmacro %}

{#- The relation of a model (or source table) by name, read from the graph at execution.
    Not `ref()`: the hooks that use it would make these models depend on nodes they
    reach through their own refs already, and every unit test would need them as inputs.
    The order is safe: each model refs, directly or through its inputs, every model it
    reads here. -#}
{% macro model_relation(name, resource_type='model') -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set node = project_node(name, resource_type) -%}
    {{ return(api.Relation.create(database=node.database, schema=node.schema,
        identifier=node.alias if resource_type == 'model' else node.identifier)) }}
{%- endmacro %}

{#- This project's graph node of a model (or source table) by name; only at execution. -#}
{% macro project_node(name, resource_type='model') -%}
    {%- set nodes = graph.nodes.values() if resource_type == 'model' else graph.sources.values() -%}
    {%- for node in nodes if node.name == name and node.resource_type == resource_type
        and node.package_name == project_name -%}
        {{ return(node) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error('no ' ~ resource_type ~ ' named ' ~ name) }}
{%- endmacro %}

{#- The config of a touched-key model: `key_column` is its key, `touched_sql` the macro
    call (as text) giving the keys a run rebuilds. Use: {{ config(touched_key_config(
    'message_id', 'touched_messages()')) }}. `summary_date`: the column of a fact model
    that a summary is built from by date (summary_dates.sql); the dates of the rows a
    run replaces, before and after, are logged for that summary. `logged_columns`: the
    columns whose values in the rows a run replaces, before and after, are logged for
    the models downstream (`staging.status_row_keys`). `key_floors`: the upstream models
    this model reads by its touched keys, each with the column that holds them
    (in_touched_keys_of). -#}
{% macro touched_key_config(key_column, touched_sql, summary_date=none, logged_columns=[], key_floors={}) %}
    {%- set hook_options = [] -%}
    {%- if summary_date -%}
        {%- do hook_options.append("summary_date='" ~ summary_date ~ "'") -%}
    {%- endif -%}
    {%- if logged_columns -%}
        {%- do hook_options.append("logged_columns=" ~ (logged_columns | tojson | replace('"', "'"))) -%}
    {%- endif -%}
    {{ return({
        'materialized': touched_keys_materialization(),
        'incremental_strategy': 'touched_append',
        'on_schema_change': 'fail',
        'pre_hook': "{{ replace_touched_keys('" ~ key_column ~ "', " ~ touched_sql
            ~ (", " ~ hook_options | join(", ") if hook_options else '') ~ ") }}",
        'post_hook': ['{{ record_watermark() }}'],
        'meta': {'touched_key': key_column, 'summary_date': summary_date,
            'logged_columns': logged_columns, 'key_floors': key_floors},
    }) }}
{% endmacro %}

{#- The append of an incremental build of a touched-key model (dbt's `append`), which
    also logs, from the rows being appended (the temporary table dbt built them in,
    not the whole model), the dates a summary rebuilds (`meta.summary_date`,
    summary_dates.sql) and the keys the models downstream rebuild
    (`meta.logged_columns`). -#}
{% macro get_incremental_touched_append_sql(arg_dict) %}
    {%- set appended = arg_dict['temp_relation'] -%}
    {%- set meta = config.get('meta') or {} -%}
    {{ get_insert_into_sql(arg_dict['target_relation'], appended, arg_dict['dest_columns']) }}
    {%- if meta.get('summary_date') -%};
    {{ log_unsummarized_dates(meta['summary_date'], appended) }}
    {%- endif -%}
    {%- if meta.get('logged_columns') -%};
    {{ log_keys_of_rows(meta['logged_columns'], appended) }}
    {%- endif -%}
{% endmacro %}

{#- `incremental` where touched keys can be replaced, else `table`. -#}
{% macro touched_keys_materialization() %}
    {{ return(adapter.dispatch('touched_keys_materialization', 'whatsapp_reports')()) }}
{% endmacro %}
{% macro default__touched_keys_materialization() %}{{ return('table') }}{% endmacro %}
{% macro duckdb__touched_keys_materialization() %}{{ return('incremental') }}{% endmacro %}

{#- For a mart that only reshapes a touched-key model: a view on DuckDB (a table would
    copy every row on every run), a table elsewhere (there every model is rebuilt whole
    anyway, and the Spark lake's DuckDB catalog reads tables' Parquet files, not views). -#}
{% macro projection_materialization() %}
    {{ return(adapter.dispatch('projection_materialization', 'whatsapp_reports')()) }}
{% endmacro %}
{% macro default__projection_materialization() %}{{ return('table') }}{% endmacro %}
{% macro duckdb__projection_materialization() %}{{ return('view') }}{% endmacro %}

{#- The newest ledger load this model has taken in (1900 before its first run). -#}
{% macro incremental_watermark() -%}
    (
        select coalesce(max(loaded_through), cast('1900-01-01' as timestamp))
        from {{ incremental_state('model_watermarks') }}
        where model = '{{ this.identifier }}'
    )
{%- endmacro %}

{#- Post-hook: the model has taken in every load in the ledger. Only when this dbt
    command also built every model upstream of it: after a partial selection (a subset
    materialized in Dagster, `--select` by hand) the model read upstream tables that may
    not hold the newest loads yet, so it keeps its watermark, and the next run takes in
    those loads again. -#}
{% macro record_watermark() %}
    {{ return(adapter.dispatch('record_watermark', 'whatsapp_reports')()) }}
{% endmacro %}
{% macro default__record_watermark() %}{% endmacro %}
{% macro duckdb__record_watermark() %}
    {%- if upstream_models_selected() %}
    delete from {{ incremental_state('model_watermarks') }} where model = '{{ this.identifier }}';
    insert into {{ incremental_state('model_watermarks') }}
    select '{{ this.identifier }}', {{ newest_load() }}
    {%- else %}
    select 'watermark kept: models upstream were not selected'
    {%- endif %}
{% endmacro %}

{#- Whether this command selected every model upstream of this one (its parents, their
    parents, ...). -#}
{% macro upstream_models_selected() %}
    {%- if not execute -%}{{ return(true) }}{%- endif -%}
    {%- set state = namespace(frontier=[model.unique_id], upstream=[]) -%}
    {#- The DAG is a dozen models deep: a bound, as Jinja has no while loop. -#}
    {%- for _ in range(100) if state.frontier -%}
        {%- set parents = [] -%}
        {%- for node_id in state.frontier -%}
            {%- for parent in graph.nodes[node_id].depends_on.nodes -%}
                {%- if parent.startswith('model.') and parent not in state.upstream -%}
                    {%- do state.upstream.append(parent) -%}
                    {%- do parents.append(parent) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- set state.frontier = parents -%}
    {%- endfor -%}
    {{ return(state.upstream | reject('in', selected_resources) | list | length == 0) }}
{% endmacro %}

{#- The newest load in the ledger: what a build takes in. -#}
{% macro newest_load() -%}
    (select max(loaded_at) from {{ model_relation('load_ledger', 'source') }})
{%- endmacro %}

{#- Values of `column` in the rows of staging model `model_name` loaded or replaced
    since this model's watermark: the base changes. -#}
{% macro changed_staging_keys(model_name, column) -%}
    select {{ column }} as key_value
    from {{ model_relation(model_name) }}
    where loaded_at > {{ incremental_watermark() }}
    union
    select {{ column }} as key_value
    from {{ incremental_state('replaced_rows') }}
    where source = '{{ model_name }}' and replaced_at > {{ incremental_watermark() }}
{%- endmacro %}

{#- wamids whose status events or whose outgoing message changed: the status
    deduplication's touched set. The models after it read the keys its rewritten rows
    name (keys_named_by_status_rows), not these wamids. -#}
{% macro changed_status_wamids() -%}
    {{ changed_staging_keys('stg_webhook_logs__status_events', 'wamid') }}
    union
    {{ changed_staging_keys('stg_api_logs__request_recipients', 'wamid') }}
{%- endmacro %}

{#- The rows of its touched keys a model's pre-hook deletes, with their row ids. -#}
{% macro deleted_rows_table() -%}
    deleted_rows_of_this_model
{%- endmacro %}

{#- Outgoing messages whose request or whose statuses changed: the messages their
    rewritten status rows named, before and after. -#}
{% macro touched_messages() -%}
    {{ changed_staging_keys('stg_api_logs__request_recipients', 'message_id') }}
    union
    {{ keys_named_by_status_rows('message_id') }}
{%- endmacro %}

{#- Conversations named by a rewritten status row, before or after. -#}
{% macro touched_conversations() -%}
    {{ keys_named_by_status_rows('conversation_id') }}
{%- endmacro %}

{#- The keys held in CTE `cte`. -#}
{% macro keys_of(cte) -%}
    select key_value from {{ cte }}
{%- endmacro %}

{#- The CTE `touched_conversation_keys`, for a touched set that needs it more than
    once: computed once, each rescan of the status tables saved (`materialized`: DuckDB
    only runs it once; these hooks run on DuckDB only). -#}
{% macro with_touched_conversation_keys() -%}
    with
    touched_conversation_keys as materialized (
        {{ touched_conversations() }}
    )
{%- endmacro %}

{#- Pre-hook: record this run's touched keys, then delete their rows; add the keys to
    those the serving copy has not published yet. A whole build records a NULL key in
    both: every row is new (the data tests then read the whole model, touched_rows.sql).
    With `summary_date`, the dates of the rows deleted are logged for the summary too (a
    NULL date for a whole build; summary_dates.sql); with `logged_columns`, their values
    in the rows deleted for the models downstream (a NULL key for a whole build). -#}
{% macro replace_touched_keys(key_column, touched_sql, summary_date=none, logged_columns=[]) %}
    {{ return(adapter.dispatch('replace_touched_keys', 'whatsapp_reports')(key_column, touched_sql, summary_date, logged_columns)) }}
{% endmacro %}
{% macro default__replace_touched_keys(key_column, touched_sql, summary_date=none, logged_columns=[]) %}{% endmacro %}
{% macro duckdb__replace_touched_keys(key_column, touched_sql, summary_date=none, logged_columns=[]) %}
    {%- if is_incremental() -%}
        delete from {{ incremental_state('touched_keys') }} where model = '{{ this.identifier }}';
        insert into {{ incremental_state('touched_keys') }}
        select distinct '{{ this.identifier }}', key_value
        from ({{ touched_sql }}) as touched
        where key_value is not null;
        {{- set_key_floors() }}
        {%- if summary_date or logged_columns %}
        {#- The rows about to go are read once, for what is logged of them and for their
            positions: the delete then finds them without a second scan of the keys. -#}
        {%- set deleted = deleted_rows_table() | trim %}
        {#- From the first row holding a touched key, as in_touched_keys_of: the logged
            columns of the rows before it are not read. #}
        {{ set_key_floor(this.identifier, this, key_column) }}
        create or replace temporary table {{ deleted }} as
        select rowid as deleted_row{{ ', ' ~ summary_date if summary_date }}{{ ', ' ~ logged_columns | join(', ') if logged_columns }}
        from {{ this }}
        where {{ key_column }} in ({{ touched_keys() }}){{ key_floor_condition(this.identifier) }};
        {%- if summary_date %}
        {{ log_unsummarized_dates(summary_date, deleted) }};
        {%- endif %}
        {%- if logged_columns %}
        {{ prune_logged_keys() }};
        {{ log_keys_of_rows(logged_columns, deleted) }};
        {%- endif %}
        delete from {{ this }} where rowid in (select deleted_row from {{ deleted }});
        drop table {{ deleted }};
        {%- else %}
        delete from {{ this }} where {{ key_column }} in ({{ touched_keys() }});
        {%- endif %}
        insert into {{ incremental_state('unpublished_keys') }}
        select model, key_value
        from {{ incremental_state('touched_keys') }}
        where model = '{{ this.identifier }}'
    {%- else -%}
        delete from {{ incremental_state('touched_keys') }} where model = '{{ this.identifier }}';
        insert into {{ incremental_state('touched_keys') }} values ('{{ this.identifier }}', null);
        insert into {{ incremental_state('unpublished_keys') }} values ('{{ this.identifier }}', null)
        {%- if summary_date -%};
        insert into {{ incremental_state('unsummarized_dates') }} values ('{{ this.identifier }}', null)
        {%- endif -%}
        {%- if logged_columns -%};
        {{ prune_logged_keys() }};
        insert into {{ incremental_state('status_row_keys') }}
        {% for column in logged_columns -%}
        select '{{ column }}', null, {{ newest_load() }}{{ ' union all ' if not loop.last }}
        {% endfor -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{#- Log the distinct values of `logged_columns` in the rows of `relation` (where
    `condition` holds) for the models downstream, stamped with the load this build
    takes in: one scan for every column. -#}
{% macro log_keys_of_rows(logged_columns, relation, condition='1 = 1') -%}
    insert into {{ incremental_state('status_row_keys') }} (key_kind, key_value, loaded_through)
    with logged_rows as materialized (
        select {{ logged_columns | join(', ') }} from {{ relation }} where {{ condition }}
    )
    {% for column in logged_columns -%}
    select distinct '{{ column }}', {{ column }}, {{ newest_load() }}
    from logged_rows
    where {{ column }} is not null
    {{ 'union all' if not loop.last }}
    {% endfor -%}
{%- endmacro %}

{#- Forget the logged keys every touched-key model has taken in (each reads the entries
    newer than its own watermark). -#}
{% macro prune_logged_keys() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set readers = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model'
        and node.package_name == project_name and node.config.meta.get('touched_key')
        and node.alias != this.identifier -%}
        {%- do readers.append("'" ~ node.alias ~ "'") -%}
    {%- endfor -%}
    delete from {{ incremental_state('status_row_keys') }}
    where loaded_through <= (
        select min(loaded_through) from {{ incremental_state('model_watermarks') }}
        where model in ({{ readers | join(', ') }})
    )
{%- endmacro %}

{#- The values of `column` that the status rows rewritten since this model's watermark
    named, before and after. Where they were rebuilt whole since (a NULL entry, from a
    first build or a full refresh of that model alone), every value they name now and
    every value this model holds: this build then rebuilds every key. -#}
{% macro keys_named_by_status_rows(column) -%}
    {%- if status_rows_rebuilt_whole() -%}
        select {{ column }} as key_value from {{ model_relation('int_status_events_deduplicated') }}
        union
        select {{ column }} as key_value from {{ this }}
    {%- else -%}
        select key_value
        from {{ incremental_state('status_row_keys') }}
        where
            key_kind = '{{ column }}'
            and key_value is not null
            and loaded_through > {{ incremental_watermark() }}
    {%- endif -%}
{%- endmacro %}

{#- Whether the status rows were rebuilt whole after this model's watermark. Read when
    the model's hooks render at execution, after the status model's build; only for an
    incremental build (elsewhere, as on Spark, the state tables do not exist). -#}
{% macro status_rows_rebuilt_whole() -%}
    {%- if not execute or not is_incremental() -%}{{ return(false) }}{%- endif -%}
    {%- set query -%}
        select count(*) from {{ incremental_state('status_row_keys') }}
        where key_value is null and loaded_through > {{ incremental_watermark() }}
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0] > 0) }}
{%- endmacro %}

{#- A condition for a model's where clause: on an incremental build, `column` is one of
    `keys_sql` (touched_keys(), touched_dates()); on a whole build, true. One line either
    way, so the SQL linter sees the same shape of the model, built or not. -#}
{% macro in_touched_keys(column, keys_sql) -%}
    {%- if is_incremental() -%}
        {{ column }} in ({{ keys_sql }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- A condition for a model's read of upstream model `upstream` (named in its
    `key_floors`): on an incremental build, `column` holds one of the touched keys, and
    on DuckDB the row is at or after the first row of `upstream` that holds one; on a
    whole build, true.

    The second half changes no result: the pre-hook has just found that first row
    (set_key_floors), in the same transaction, so no row holding a touched key sits
    before it. It spares reading the rows before it. DuckDB numbers a table's rows in
    the order they were written (`rowid`), and what a run reads by key is mostly recent:
    the rows an incremental build rewrote went to the end of its table, and a late
    status names a message days old, not weeks. -#}
{% macro in_touched_keys_of(upstream, column) -%}
    {%- if is_incremental() -%}
        {%- if upstream not in declared_key_floors() -%}
            {{ exceptions.raise_compiler_error("in_touched_keys_of('" ~ upstream
                ~ "', ...): name it in the model's key_floors (touched_key_config)") }}
        {%- endif -%}
        {{ column }} in ({{ touched_keys() }}){{ key_floor_condition(upstream) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- ` and rowid >= <the floor>` on DuckDB; nothing elsewhere. -#}
{% macro key_floor_condition(upstream) %}
    {{ return(adapter.dispatch('key_floor_condition', 'whatsapp_reports')(upstream)) }}
{% endmacro %}
{% macro default__key_floor_condition(upstream) %}{{ return('') }}{% endmacro %}
{% macro duckdb__key_floor_condition(upstream) %}
    {{ return(" and rowid >= getvariable('" ~ key_floor_variable(upstream) ~ "')") }}
{% endmacro %}

{#- The session variable holding the floor of `upstream` for this model: named after
    both, as two models may read one upstream at once. -#}
{% macro key_floor_variable(upstream) -%}
    key_floor__{{ this.identifier }}__{{ upstream }}
{%- endmacro %}

{#- Pre-hook, once the touched keys are recorded: the first row of each upstream model
    in `key_floors` that holds one (NULL where none does, and the read then finds
    nothing, as it would without the floor). -#}
{% macro set_key_floors() -%}
    {%- for upstream, column in declared_key_floors().items() %}
        {{ set_key_floor(upstream, model_relation(upstream), column) }}
    {%- endfor -%}
{%- endmacro %}

{#- `set variable` to the first row of `relation` whose `column` holds a touched key,
    under the name key_floor_condition(`name`) reads. -#}
{% macro set_key_floor(name, relation, column) -%}
    set variable {{ key_floor_variable(name) }} = (
        select min(rowid) from {{ relation }} where {{ column }} in ({{ touched_keys() }})
    );
{%- endmacro %}

{#- This model's `key_floors` (touched_key_config): upstream model -> key column. -#}
{% macro declared_key_floors() %}
    {{ return((config.get('meta') or {}).get('key_floors') or {}) }}
{% endmacro %}

{#- `order by <column>` closing a whole build on DuckDB, nothing elsewhere: the rows are
    written in the order of a date, so that the rows a later run reads by key (recent,
    mostly) sit together at the end of the table, behind the floor in_touched_keys_of
    reads after (a whole build with no order leaves every day's rows in every part of
    the table). An incremental build appends at the end anyway. -#}
{% macro whole_build_order(column) %}
    {{ return(adapter.dispatch('whole_build_order', 'whatsapp_reports')(column)) }}
{% endmacro %}
{% macro default__whole_build_order(column) %}{{ return('') }}{% endmacro %}
{% macro duckdb__whole_build_order(column) %}
    {{ return('' if is_incremental() else 'order by ' ~ column) }}
{% endmacro %}

{#- The keys the pre-hook recorded for this model in this run (a NULL key: the model
    was built whole). -#}
{% macro touched_keys() -%}
    select key_value from {{ incremental_state('touched_keys') }} where model = '{{ this.identifier }}'
{%- endmacro %}

{#- Incoming messages that changed, that a touched conversation's window now contains,
    or that were in a touched conversation before. -#}
{% macro touched_incoming_messages() -%}
    {{ with_touched_conversation_keys() }}

    {{ incoming_messages_of_touched_conversations() }}
{%- endmacro %}

{#- The union behind touched_incoming_messages(), over the CTE `touched_conversation_keys`
    (`previous_key` names the wamid in this model). -#}
{% macro incoming_messages_of_touched_conversations(previous_key='wamid', previous_filter='1 = 1') -%}
    {{ changed_staging_keys('stg_webhook_logs__incoming_message_copies', 'wamid') }}
    union
    select incoming_messages.wamid as key_value
    from {{ model_relation('stg_webhook_logs__incoming_messages') }} as incoming_messages
    inner join {{ model_relation('int_conversations_aggregated') }} as conversations
        on
            incoming_messages.business_number = conversations.business_number
            and incoming_messages.user_number = conversations.user_number
            and incoming_messages.created_at >= conversations.opened_at
            and incoming_messages.created_at < conversations.expires_at
    where conversations.conversation_id in ({{ keys_of('touched_conversation_keys') }})
    union
    select {{ previous_key }} as key_value
    from {{ this }}
    where {{ previous_filter }} and conversation_id in ({{ keys_of('touched_conversation_keys') }})
{%- endmacro %}

{#- Touched conversations and, in each WABA-month a conversation moved into or out of,
    the conversations opened from the earliest moved one on whose free-tier place may
    change (R21). A conversation moves when its WABA, opening time, origin type or
    opened flag changes, or when it appears or disappears; a new status that changes
    none of them (most of them) moves nothing. Places before that point stay.

    Only places up to the monthly limit are kept (`free_tier_rank` is empty past it), so
    past the earliest moved one only the conversations that held a place are rebuilt,
    unless the move reaches the month's last free place (its `opened_at` or earlier):
    then a conversation past the limit may move into it, and every conversation from the
    earliest moved one on is rebuilt. A late status in a month whose free tier ran out
    before it then rebuilds its own conversations only, not the rest of the month. -#}
{% macro touched_free_tier_conversations() -%}
    {{ with_touched_conversation_keys() }},

    previous as (
        select conversation_id, waba_id, opened_month, opened_at, origin_type, is_opened
        from {{ this }}
        where conversation_id in ({{ keys_of('touched_conversation_keys') }})
    ),

    current_state as (
        select
            conversation_id,
            waba_id,
            cast({{ dbt.date_trunc('month', 'opened_at') }} as date) as opened_month,
            opened_at,
            origin_type,
            is_opened
        from {{ model_relation('int_conversations_aggregated') }}
        where conversation_id in ({{ keys_of('touched_conversation_keys') }})
    ),

    changed as (
        -- Conversations that appeared, disappeared or changed a ranking input.
        select
            previous.waba_id as previous_waba_id,
            previous.opened_month as previous_opened_month,
            previous.opened_at as previous_opened_at,
            current_state.waba_id as current_waba_id,
            current_state.opened_month as current_opened_month,
            current_state.opened_at as current_opened_at
        from previous
        full outer join current_state
            on previous.conversation_id = current_state.conversation_id
        where
            previous.conversation_id is null
            or current_state.conversation_id is null
            or previous.waba_id is distinct from current_state.waba_id
            or previous.opened_at is distinct from current_state.opened_at
            or previous.origin_type is distinct from current_state.origin_type
            or previous.is_opened is distinct from current_state.is_opened
    ),

    moved as (
        select previous_waba_id as waba_id, previous_opened_month as opened_month,
            previous_opened_at as opened_at
        from changed
        union all
        select current_waba_id, current_opened_month, current_opened_at
        from changed
    ),

    first_moved as (
        select
            waba_id,
            opened_month,
            min(opened_at) as first_opened_at
        from moved
        where opened_at is not null
        group by waba_id, opened_month
    ),

    last_free_places as (
        -- Each WABA-month's last free place before this run (none while fewer
        -- conversations than the limit held places).
        select
            waba_id,
            opened_month,
            max(opened_at) as last_free_opened_at
        from {{ this }}
        where free_tier_rank = free_tier_monthly_limit
        group by waba_id, opened_month
    )

    {{ keys_of('touched_conversation_keys') }}
    union
    -- The other conversations keep their inputs, so their previous rows stand for them.
    select conversations.conversation_id as key_value
    from {{ this }} as conversations
    inner join first_moved
        on
            conversations.waba_id = first_moved.waba_id
            and conversations.opened_month = first_moved.opened_month
            and conversations.opened_at >= first_moved.first_opened_at
    left join last_free_places
        on
            first_moved.waba_id = last_free_places.waba_id
            and first_moved.opened_month = last_free_places.opened_month
    where
        conversations.free_tier_rank is not null
        or first_moved.first_opened_at <= last_free_places.last_free_opened_at
{%- endmacro %}

{#- Messages of the fact table: touched outgoing and incoming messages, and the messages
    of a touched conversation whose type or opening message changed (R19). -#}
{% macro touched_fact_messages() -%}
    {{ with_touched_conversation_keys() }}

    {{ touched_messages() }}
    union
    {{ incoming_messages_of_touched_conversations(previous_key='message_id', previous_filter='is_incoming') }}
    union
    select messages.message_id as key_value
    from {{ this }} as messages
    inner join {{ model_relation('int_conversations_aggregated') }} as conversations
        on messages.conversation_id = conversations.conversation_id
    where
        conversations.conversation_id in ({{ keys_of('touched_conversation_keys') }})
        and (
            messages.conversation_type is distinct from conversations.origin_type
            or coalesce(messages.message_id = conversations.opening_message_id, false)
            <> (messages.conversation_msg_type = 'Conversation start')
        )
{%- endmacro %}
