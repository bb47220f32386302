{#-
    Data tests of a touched-key model read only the rows this build rewrote.

    An incremental build of a touched-key model (touched_keys.sql) deletes and re-inserts
    the rows of its touched keys and leaves every other row as the last build left it,
    tested then. A test whose verdict on a row can only change when that row or a row it
    is compared with was rewritten therefore reaches the same verdict on fewer rows:

    - a test of a key's own rows (unique, not_null, accepted_values,
      unique_combination_of_columns over the key) reads the touched keys' rows: a
      one-day run on top of 30 days tests about 120k messages instead of 3.3M. The
      model's SQL names its key (`meta.touched_key`); a view over a touched-key model
      names the model that keeps its rows too (`meta.touched_by`);
    - a relationships test from a touched-key model to the key of another one reads the
      child rows the build rewrote and the child rows that name a parent key it
      rewrote (deleted, changed or added): a parent row that went away is found through
      every child row that still names it. Where the build did not select the parent's
      model, its rows are as they were and the child's rewritten rows are enough;
    - the singular tests that compare a summary with its fact rows by report date read
      the dates the summary rebuilt (rebuilt_dates, on_rebuilt_dates): a fact row that left or
      entered a date makes the summary rebuild that date (summary_dates.sql).

    Everything else reads the whole model, as dbt's own macros do: other tests, any test
    where a model it reads by key was built whole (its pre-hook records a NULL key), a
    build that did not select the model that keeps the rows, `dbt test` on its own, and
    every engine but DuckDB.
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

{#- The SQL condition keeping the rows of the tested model that the test must read, or
    '' where it must read every row. -#}
{% macro touched_rows_condition() %}
    {%- if not execute or flags.WHICH != 'build' or model.resource_type != 'test' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set test = model.test_metadata -%}
    {%- if not test or not model.attached_node -%}
        {{ return('') }}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.attached_node) -%}
    {%- set child_keys = keys_rewritten_by_this_build(tested) -%}
    {%- if not child_keys -%}
        {{ return('') }}
    {%- endif -%}
    {%- set own_rows = tested.config.meta.touched_key ~ ' in (' ~ child_keys ~ ')' -%}
    {%- if test.name in tests_of_a_key_s_own_rows() -%}
        {{ return(own_rows) }}
    {%- endif -%}
    {%- if test.name == 'relationships' -%}
        {%- set parents = model.depends_on.nodes | reject('equalto', model.attached_node) | list -%}
        {%- set parent = graph.nodes.get(parents[0]) if parents | length == 1 else none -%}
        {%- if parent and parent.config.meta.get('touched_key') == test.kwargs.field -%}
            {%- if keeper_of(parent).unique_id not in selected_resources -%}
                {#- This build left every parent row as it was. -#}
                {{ return(own_rows) }}
            {%- endif -%}
            {%- set parent_keys = keys_rewritten_by_this_build(parent) -%}
            {%- if parent_keys -%}
                {{ return('(' ~ own_rows ~ ' or ' ~ test.kwargs.column_name ~ ' in (' ~ parent_keys ~ '))') }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{#- A query of the keys this build rewrote in `node` (a graph node, or none), or '' where
    its rows are not kept by touched key, the model that keeps them was not selected, or
    it was built whole. Called when a test runs, after the models it reads: the keys of
    this build are recorded. -#}
{% macro keys_rewritten_by_this_build(node) %}
    {%- if not node or not node.config.meta.get('touched_key') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set keeper = keeper_of(node) -%}
    {%- if keeper.unique_id not in selected_resources -%}
        {{ return('') }}
    {%- endif -%}
    {%- set keys = 'select key_value from ' ~ incremental_state('touched_keys')
        ~ " where model = '" ~ keeper.alias ~ "'" -%}
    {%- if run_query(keys ~ ' and key_value is null').rows | length > 0 -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(keys) }}
{% endmacro %}

{#- The model that keeps the rows of `node` (itself, or the model a view reads). -#}
{% macro keeper_of(node) %}
    {{ return(project_node(node.config.meta.get('touched_by', node.name))) }}
{% endmacro %}

{#- For a singular test that compares a summary (built by date, summary_dates.sql) with
    the fact rows it counts: the dates this build of the summary rebuilt (as text, in
    order), or none (every date) where the summary was built whole or not by this build,
    and on other engines. Read once per test; on_rebuilt_dates turns them into the
    condition of each relation it reads. -#}
{% macro rebuilt_dates(summary) %}
    {{ return(adapter.dispatch('rebuilt_dates', 'whatsapp_reports')(summary)) }}
{% endmacro %}
{% macro default__rebuilt_dates(summary) %}{{ return(none) }}{% endmacro %}
{% macro duckdb__rebuilt_dates(summary) %}
    {%- if not execute or flags.WHICH != 'build' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set dates = keys_rewritten_by_this_build(project_node(summary)) -%}
    {%- if not dates -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(run_query(dates ~ ' order by key_value').columns[0].values() | list) }}
{% endmacro %}

{#- The SQL condition keeping the rows whose `column` (a date or a timestamp: the row's
    report date, or the time it falls on) is on one of `dates` (rebuilt_dates; none:
    every row). The dates are written out, with bounds on the column itself: DuckDB then
    skips the row groups outside them (min/max per row group; the big tables are in date
    order) instead of reading every row to join it with the dates. -#}
{% macro on_rebuilt_dates(column, dates) %}
    {%- if dates is none -%}
        {{ return('true') }}
    {%- endif -%}
    {%- if not dates -%}
        {{ return('false') }}
    {%- endif -%}
    {%- set day_after_last = modules.datetime.date.fromisoformat(dates[-1])
        + modules.datetime.timedelta(days=1) -%}
    {%- set literals = [] -%}
    {%- for day in dates -%}
        {%- do literals.append("date '" ~ day ~ "'") -%}
    {%- endfor -%}
    {{ return(column ~ " >= date '" ~ dates[0] ~ "' and " ~ column ~ " < date '"
        ~ day_after_last.isoformat() ~ "' and cast(" ~ column ~ ' as date) in ('
        ~ literals | join(', ') ~ ')') }}
{% endmacro %}
