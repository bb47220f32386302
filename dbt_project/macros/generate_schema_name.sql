{#- Use the folder's schema as is (`marts`, not `main_marts`): analysts query
    `marts.tabular_report` as the reports name it. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
