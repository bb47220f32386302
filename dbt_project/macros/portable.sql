{#-
    Engine differences live here and only here, behind adapter.dispatch, so that every
    model stays portable across dbt adapters. Each macro has a default (ANSI-ish) and a
    DuckDB implementation; other engines add theirs beside them.
-#}

{#- The string value at a JSONPath of a JSON text column (NULL when absent). -#}
{% macro json_string(json_expr, path) -%}
    {{ return(adapter.dispatch('json_string', 'whatsapp_reports')(json_expr, path)) }}
{%- endmacro %}
{% macro default__json_string(json_expr, path) -%}
    get_json_object({{ json_expr }}, '{{ path }}')
{%- endmacro %}
{% macro duckdb__json_string(json_expr, path) -%}
    json_extract_string({{ json_expr }}, '{{ path }}')
{%- endmacro %}

{#- The JSON text at a JSONPath (an object or array kept as JSON text). -#}
{% macro json_value(json_expr, path) -%}
    {{ return(adapter.dispatch('json_value', 'whatsapp_reports')(json_expr, path)) }}
{%- endmacro %}
{% macro default__json_value(json_expr, path) -%}
    get_json_object({{ json_expr }}, '{{ path }}')
{%- endmacro %}
{% macro duckdb__json_value(json_expr, path) -%}
    json_extract({{ json_expr }}, '{{ path }}')
{%- endmacro %}

{#- A select-list expression giving one row per element of the JSON array at `path`,
    each element as JSON text. A missing or null array gives no row. -#}
{% macro json_array_elements(json_expr, path) -%}
    {{ return(adapter.dispatch('json_array_elements', 'whatsapp_reports')(json_expr, path)) }}
{%- endmacro %}
{% macro default__json_array_elements(json_expr, path) -%}
    explode(from_json(get_json_object({{ json_expr }}, '{{ path }}'), 'array<string>'))
{%- endmacro %}
{% macro duckdb__json_array_elements(json_expr, path) -%}
    unnest(cast(json_extract({{ json_expr }}, '{{ path }}') as json[]))
{%- endmacro %}

{#- Unix seconds (text or number) -> TIMESTAMP in UTC without time zone. -#}
{% macro from_unix_seconds(expr) -%}
    {{ return(adapter.dispatch('from_unix_seconds', 'whatsapp_reports')(expr)) }}
{%- endmacro %}
{% macro default__from_unix_seconds(expr) -%}
    timestamp_seconds(cast({{ expr }} as bigint))
{%- endmacro %}
{% macro duckdb__from_unix_seconds(expr) -%}
    make_timestamp(cast({{ expr }} as bigint) * 1000000)
{%- endmacro %}

{#- Does `string_expr` start with `prefix_expr`? -#}
{% macro starts_with(string_expr, prefix_expr) -%}
    {{ return(adapter.dispatch('starts_with', 'whatsapp_reports')(string_expr, prefix_expr)) }}
{%- endmacro %}
{% macro default__starts_with(string_expr, prefix_expr) -%}
    substring({{ string_expr }}, 1, {{ dbt.length(prefix_expr) }}) = {{ prefix_expr }}
{%- endmacro %}

{#- The CTEs `entries` and `changes` over webhook POST rows in CTE `from_cte`: one row
    per change of each entry, with the POST's lineage, the WABA (`entry.id`), the
    business number (`metadata.display_phone_number`) and the change as JSON text. -#}
{% macro webhook_changes(from_cte) %}
entries as (
    select
        dt,
        source_file,
        line_number,
        received_at,
        loaded_at,
        {{ json_array_elements('raw_line', '$.body.entry') }} as entry
    from {{ from_cte }}
),

changes as (
    select
        dt,
        source_file,
        line_number,
        received_at,
        loaded_at,
        {{ json_string('entry', '$.id') }} as waba_id,
        {{ json_array_elements('entry', '$.changes') }} as change
    from entries
),

business_changes as (
    select
        changes.*,
        {{ json_string('change', '$.value.metadata.display_phone_number') }} as business_number
    from changes
)
{% endmacro %}

{#- False only where JSON text `json_expr` cannot hold an object key `key`: such a key
    is written "key" followed by optional whitespace (space, tab, CR) and a colon, or
    spelled with a \u escape. A plain text search, much cheaper than parsing: a model
    uses it to skip lines that cannot hold what it extracts. -#}
{% macro may_hold_json_key(json_expr, key) -%}
    {%- set quoted_key = "'\"" ~ key ~ "\"'" -%}
    (
        {%- for follower in ["':'", "' '", 'chr(9)', 'chr(13)'] %}
        {{ dbt.position(dbt.concat([quoted_key, follower]), json_expr) }} > 0 or
        {%- endfor %}
        {{ dbt.position(dbt.concat(['chr(92)', "'u'"]), json_expr) }} > 0
    )
{%- endmacro %}
