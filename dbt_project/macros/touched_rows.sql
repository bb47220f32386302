{#-
    Data tests of a touched-key model read only the rows this build rewrote.

    An incremental build of a touched-key model (touched_keys.sql) deletes and re-inserts
    the rows of its touched keys and leaves every other row as the last build left it,
    tested then. A test whose verdict on a key depends only on that key's rows of the
    tested model (unique, not_null, accepted_values, unique_combination_of_columns over
    the key) therefore reaches the same verdict on the touched keys' rows alone: a
    one-day run on top of 30 days tests about 120k messages instead of 3.3M. The model's
    SQL names its key (`meta.touched_key`); a view over a touched-key model names the
    model that keeps its rows too (`meta.touched_by`).

    Everything else reads the whole model, as dbt's own macro does: tests that read
    another relation (relationships, singular tests), any test of a model built whole
    (its pre-hook records a NULL key; the test then compiles to dbt's own SQL), a build
    that did not select the model that keeps the rows, `dbt test` on its own, and every
    engine but DuckDB.
-#}

{#- dbt's generic tests read `model` through this macro (a test's `where` config). -#}
{% macro duckdb__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set touched = touched_rows_condition() -%}
    {%- if touched -%}
        {%- do conditions.append(touched) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{#- Tests whose verdict on a key depends only on that key's rows of the tested model. -#}
{% macro tests_of_a_key_s_own_rows() %}
    {{ return(['unique', 'not_null', 'accepted_values', 'unique_combination_of_columns']) }}
{% endmacro %}

{#- The SQL condition keeping the rows of the keys the tested model's build touched, or
    '' where the test must read every row. -#}
{% macro touched_rows_condition() %}
    {%- if not execute or flags.WHICH != 'build' or model.resource_type != 'test' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set test = model.test_metadata -%}
    {%- if not test or test.name not in tests_of_a_key_s_own_rows() or not model.attached_node -%}
        {{ return('') }}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.attached_node) -%}
    {%- set key_column = tested.config.meta.get('touched_key') if tested else none -%}
    {%- if not key_column -%}
        {{ return('') }}
    {%- endif -%}
    {%- set keeper = project_node(tested.config.meta.get('touched_by', tested.name)) -%}
    {%- if keeper.unique_id not in selected_resources -%}
        {{ return('') }}
    {%- endif -%}
    {%- set keys = 'select key_value from ' ~ incremental_state('touched_keys')
        ~ " where model = '" ~ keeper.alias ~ "'" -%}
    {#- Tests compile when they run, after their model: this build's keys are recorded. -#}
    {%- if run_query(keys ~ ' and key_value is null').rows | length > 0 -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(key_column ~ ' in (' ~ keys ~ ')') }}
{% endmacro %}
