{#-
    A warehouse built by an earlier version of this project can hold relations that this
    version builds differently. Before a build, such a relation is dropped (through the
    adapter, so dbt's relation cache knows), and the build then makes it whole again;
    the models after it stay incremental, since what they read from it does not change.

    - `int_outgoing_messages_linked_to_conversations` (one row per linked outgoing
      message) was folded into `int_outgoing_messages_enriched_with_status` as its
      `conversation_id` column: the old table goes.
    - A model's table without a column this version writes (columns_added_since) is
      rebuilt once.
-#}

{#- Model -> a column later versions added to it. -#}
{% macro columns_added_since() %}
    {{ return({
        'int_outgoing_messages_enriched_with_status': 'conversation_id',
        'stg_webhook_logs__incoming_message_copies': 'is_business_scoped_user',
        'stg_webhook_logs__incoming_messages': 'is_business_scoped_user',
    }) }}
{% endmacro %}

{% macro retire_earlier_layouts() %}
    {%- if not execute or flags.WHICH not in ('build', 'run') -%}{{ return('') }}{%- endif -%}
    {%- set retired = [] -%}
    {%- set linked = linked_messages_relation() -%}
    {%- if linked is not none -%}
        {%- do retired.append(linked) -%}
    {%- endif -%}
    {%- for model, column in columns_added_since().items() -%}
        {%- set node = project_node(model) -%}
        {%- set existing = adapter.get_relation(
            database=node.database, schema=node.schema, identifier=node.alias) -%}
        {%- if existing is not none and not has_column(existing, column) -%}
            {%- do retired.append(existing) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(adapter.dispatch('retire_earlier_layouts', 'whatsapp_reports')(retired)) }}
{% endmacro %}

{% macro has_column(relation, column) %}
    {{ return(adapter.dispatch('has_column', 'whatsapp_reports')(relation, column)) }}
{% endmacro %}
{% macro default__has_column(relation, column) %}
    {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') -%}
    {{ return(column in names | map('lower') | list) }}
{% endmacro %}
{#- From DuckDB's catalog by run_query: the adapter's column listing would open a
    transaction that dbt rolls back after the hook, with the drop in it. -#}
{% macro duckdb__has_column(relation, column) %}
    {%- set query -%}
        select count(*) from duckdb_columns()
        where
            database_name = '{{ relation.database }}' and schema_name = '{{ relation.schema }}'
            and table_name = '{{ relation.identifier }}' and column_name = '{{ column }}'
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0] > 0) }}
{% endmacro %}

{% macro default__retire_earlier_layouts(retired) %}
    {%- for relation in retired -%}
        {%- do adapter.drop_relation(relation) -%}
    {%- endfor -%}
{% endmacro %}

{#- The hook's SQL runs outside a transaction (a drop through the adapter here would
    open one, which dbt then rolls back); the cache forgets the relations at once. -#}
{% macro duckdb__retire_earlier_layouts(retired) %}
    {%- for relation in retired -%}
        {%- do adapter.cache_dropped(relation) -%}
        drop table if exists {{ relation }};
    {% endfor -%}
{% endmacro %}

{#- The retired table, where the warehouse still holds it. -#}
{% macro linked_messages_relation() %}
    {%- set enriched = project_node('int_outgoing_messages_enriched_with_status') -%}
    {{ return(adapter.get_relation(database=enriched.database, schema=enriched.schema,
        identifier='int_outgoing_messages_linked_to_conversations')) }}
{% endmacro %}
