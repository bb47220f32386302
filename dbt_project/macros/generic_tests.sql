{#- Generic tests the project needs; dbt_utils cannot be installed here (no dbt hub). -#}

{#- No two rows share the values of these columns (NULLs compare equal). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- set columns = combination_of_columns | join(', ') %}
    select {{ columns }}, count(*) as duplicate_rows
    from {{ model }}
    group by {{ columns }}
    having count(*) > 1
{% endtest %}

{#- Every row satisfies the boolean SQL expression. -#}
{% test expression_is_true(model, expression) %}
    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)
{% endtest %}
