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

{#- The columns that carry a raw line's lineage through a model's CTEs. -#}
{% macro raw_line_lineage() -%}
    dt, source_file, line_number, received_at, loaded_at
{%- endmacro %}

{#- The CTEs `posts`, `entries`, `changes` and `business_changes` over webhook POST rows
    in CTE `from_cte`: one row per change of each entry, with the POST's lineage, the
    WABA (`entry.id`), the business number (`metadata.display_phone_number`) and the
    change's value as a struct of `value_shape` (json_struct) plus its metadata. Each
    line is parsed once. `is_messages_change` tells the changes of field `messages`, the
    only ones that carry statuses and messages (R26). -#}
{% macro webhook_changes(from_cte, value_shape) %}
{%- set value = {'metadata': {'display_phone_number': 'string'}} -%}
{%- do value.update(value_shape) -%}
posts as (
    select
        {{ raw_line_lineage() }},
        {{ json_struct('raw_line', {'body': {'entry': [{'id': 'string', 'changes': [{'field': 'string', 'value': value}]}]}}) }}
            as post
    from {{ from_cte }}
),

entries as (
    select
        {{ raw_line_lineage() }},
        {{ array_elements('post.body.entry') }} as entry
    from posts
),

changes as (
    select
        {{ raw_line_lineage() }},
        entry.id as waba_id,
        {{ array_elements('entry.changes') }} as change
    from entries
),

business_changes as (
    select
        changes.*,
        change.value.metadata.display_phone_number as business_number,
        -- R26: only a change of field `messages` carries statuses and messages; a change
        -- without a field (hand-written logs) is read as `messages`.
        coalesce(change.field, 'messages') = 'messages' as is_messages_change
    from changes
)
{% endmacro %}

{#- JSON text parsed once into a struct of the shape `schema`: a dict is an object (field
    name -> shape), a one-element list an array of that shape, 'string' a value read as
    text (as json_string reads it: a number or an object gives its JSON text), 'json' a
    value kept as JSON text. Absent or null parts, and parts of another type, are NULL.
    Reading many fields this way parses the text once, not once per field (about 3x
    faster on the webhook log). Fields are read with dots: `post.body.entry`. -#}
{% macro json_struct(json_expr, schema) -%}
    {{ return(adapter.dispatch('json_struct', 'whatsapp_reports')(json_expr, schema)) }}
{%- endmacro %}
{% macro default__json_struct(json_expr, schema) -%}
    from_json({{ json_expr }}, '{{ spark_type_of_shape(schema) }}')
{%- endmacro %}
{% macro duckdb__json_struct(json_expr, schema) -%}
    json_transform({{ json_expr }}, '{{ duckdb_structure_of_shape(schema) }}')
{%- endmacro %}

{#- A json_struct shape as a Spark type (every leaf a string: Spark reads any JSON value
    into a string field as its text). -#}
{% macro spark_type_of_shape(shape) -%}
    {%- if shape is mapping -%}
        struct<{% for name, inner in shape.items() %}`{{ name }}`:{{ spark_type_of_shape(inner) }}{{ ',' if not loop.last }}{% endfor %}>
    {%- elif shape is sequence and shape is not string -%}
        array<{{ spark_type_of_shape(shape[0]) }}>
    {%- else -%}
        string
    {%- endif -%}
{%- endmacro %}

{#- A json_struct shape as DuckDB's json_transform structure. -#}
{% macro duckdb_structure_of_shape(shape) -%}
    {%- if shape is mapping -%}
        {{ '{' }}{% for name, inner in shape.items() %}"{{ name }}":{{ duckdb_structure_of_shape(inner) }}{{ ',' if not loop.last }}{% endfor %}{{ '}' }}
    {%- elif shape is sequence and shape is not string -%}
        [{{ duckdb_structure_of_shape(shape[0]) }}]
    {%- elif shape == 'json' -%}
        "JSON"
    {%- else -%}
        "VARCHAR"
    {%- endif -%}
{%- endmacro %}

{#- A select-list expression giving one row per element of the array `array_expr` (a
    struct's array, from json_struct). A null array gives no row. -#}
{% macro array_elements(array_expr) -%}
    {{ return(adapter.dispatch('array_elements', 'whatsapp_reports')(array_expr)) }}
{%- endmacro %}
{% macro default__array_elements(array_expr) -%}
    explode({{ array_expr }})
{%- endmacro %}
{% macro duckdb__array_elements(array_expr) -%}
    unnest({{ array_expr }})
{%- endmacro %}

{#- The first day of the UTC month of a date or timestamp, as a date. -#}
{% macro month_of(expr) -%}
    cast({{ dbt.date_trunc('month', expr) }} as date)
{%- endmacro %}

{#- A UTC TIMESTAMP (no time zone) -> the wall-clock TIMESTAMP in IANA zone `zone_expr`
    (R36: pricing boundaries are read in the WABA's time zone). DuckDB uses its ICU
    extension's tz database, Spark its JVM's. -#}
{% macro to_local_time(utc_expr, zone_expr) -%}
    {{ return(adapter.dispatch('to_local_time', 'whatsapp_reports')(utc_expr, zone_expr)) }}
{%- endmacro %}
{% macro default__to_local_time(utc_expr, zone_expr) -%}
    from_utc_timestamp({{ utc_expr }}, {{ zone_expr }})
{%- endmacro %}
{% macro duckdb__to_local_time(utc_expr, zone_expr) -%}
    cast(timezone({{ zone_expr }}, timezone('UTC', {{ utc_expr }})) as timestamp)
{%- endmacro %}

{#- `YYYY-MM` of a date or timestamp (BILLING MONTH, R36). -#}
{% macro year_month_text(expr) -%}
    {{ return(adapter.dispatch('year_month_text', 'whatsapp_reports')(expr)) }}
{%- endmacro %}
{% macro default__year_month_text(expr) -%}
    date_format({{ expr }}, 'yyyy-MM')
{%- endmacro %}
{% macro duckdb__year_month_text(expr) -%}
    strftime({{ expr }}, '%Y-%m')
{%- endmacro %}

{#- A wall-clock TIMESTAMP in IANA zone `zone_expr` -> the UTC TIMESTAMP (no time zone)
    of that moment (the inverse of to_local_time). -#}
{% macro to_utc_time(local_expr, zone_expr) -%}
    {{ return(adapter.dispatch('to_utc_time', 'whatsapp_reports')(local_expr, zone_expr)) }}
{%- endmacro %}
{% macro default__to_utc_time(local_expr, zone_expr) -%}
    to_utc_timestamp({{ local_expr }}, {{ zone_expr }})
{%- endmacro %}
{% macro duckdb__to_utc_time(local_expr, zone_expr) -%}
    cast(timezone('UTC', timezone({{ zone_expr }}, {{ local_expr }})) as timestamp)
{%- endmacro %}
