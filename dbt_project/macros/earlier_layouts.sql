{#-
    A warehouse built by an earlier version of this project can hold relations that this
    version builds differently. Before a build, such a relation is dropped (through the
    adapter, so dbt's relation cache knows), and the build then makes it whole again;
    the models after it stay incremental, since what they read from it does not change.

    - `int_outgoing_messages_linked_to_conversations` (one row per linked outgoing
      message) was folded into `int_outgoing_messages_enriched_with_status` as its
      `conversation_id` column: the old table goes, and an enriched table without that
      column is rebuilt once.
-#}
{% macro retire_earlier_layouts() %}
    {%- if not execute or flags.WHICH not in ('build', 'run') -%}{{ return('') }}{%- endif -%}
    {{ return(adapter.dispatch('retire_earlier_layouts', 'whatsapp_reports')()) }}
{% endmacro %}

{#- Elsewhere (Spark) the touched-key models are rebuilt whole on every run: only the
    retired table goes. -#}
{% macro default__retire_earlier_layouts() %}
    {%- set linked = linked_messages_relation() -%}
    {%- if linked is not none -%}
        {%- do adapter.drop_relation(linked) -%}
    {%- endif -%}
{% endmacro %}

{#- The hook's SQL runs outside a transaction (a query through the adapter here would
    open one, which dbt then rolls back); the cache forgets the relations at once. -#}
{% macro duckdb__retire_earlier_layouts() %}
    {%- set enriched = project_node('int_outgoing_messages_enriched_with_status') -%}
    {%- set retired = [linked_messages_relation()] -%}
    {%- set existing = adapter.get_relation(
        database=enriched.database, schema=enriched.schema, identifier=enriched.alias) -%}
    {%- if existing is not none -%}
        {%- set query -%}
            select count(*) from duckdb_columns()
            where
                database_name = '{{ enriched.database }}' and schema_name = '{{ enriched.schema }}'
                and table_name = '{{ enriched.alias }}' and column_name = 'conversation_id'
        {%- endset -%}
        {%- if run_query(query).columns[0].values()[0] == 0 -%}
            {%- do retired.append(existing) -%}
        {%- endif -%}
    {%- endif -%}
    {%- for relation in retired if relation is not none -%}
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
