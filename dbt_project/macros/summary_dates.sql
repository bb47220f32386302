{#-
    The two summaries are incremental by report date on DuckDB: a run rebuilds only the
    dates whose rows can have changed, not every day of history.

    A summary's rows on a date come from the fact rows on that date (fct_messages by
    `report_date`, the conversations of int_conversations_priced by `opened_date`) and
    from the business numbers' display names. So a summary date is rebuilt when:
    - a fact row on it was replaced: the fact model logs in `staging.unsummarized_dates`
      the dates of the rows of its touched keys, before its pre-hook deletes them and as
      its append inserts them again (from the rows appended, touched_keys.sql; a message
      that moved to another date, or vanished, changes its old date too); a NULL date
      means the fact model was built whole, and then every date is rebuilt;
    - a number it shows changed its display name (dim_phone_numbers is rebuilt on every
      run from the registry snapshots): found by comparing the summary's own rows with
      dim_phone_numbers.

    The logged dates wait until the summary has taken them in: its post-hook clears them,
    in the same transaction as its rows, so a summary that fails (or that a build did not
    select) rebuilds them next time. Other engines build the summaries whole.
-#}

{#- The config of a summary built by date from `fact_model`'s column `fact_date`. Its
    touched keys are report dates as text (touched_keys.sql keeps keys as text). Its one
    post-hook clears the dates it took in: it keeps no load watermark, since its dates
    come from that log, not from the staged loads. -#}
{% macro summary_by_date_config(fact_model, fact_date) %}
    {%- set summary_config = touched_key_config(
        'cast(report_date as varchar)',
        "touched_summary_dates('" ~ fact_model ~ "', '" ~ fact_date ~ "')") -%}
    {%- do summary_config.update(
        {'post_hook': ["{{ clear_unsummarized_dates('" ~ fact_model ~ "') }}"]}) -%}
    {{ return(summary_config) }}
{% endmacro %}

{#- The report dates this build of the summary rebuilds (recorded by its pre-hook). -#}
{% macro touched_dates() -%}
    select cast(key_value as date) from ({{ touched_keys() }}) as touched
{%- endmacro %}

{#- The dates to rebuild, as text: those `fact_model` logged, every date where it was built
    whole, and the dates of every number whose display name changed. -#}
{% macro touched_summary_dates(fact_model, fact_date) -%}
    with unsummarized as (
        select date_value
        from {{ incremental_state('unsummarized_dates') }}
        where model = '{{ fact_model }}'
    ),

    fact_built_whole as (
        select count(*) > 0 as is_whole
        from unsummarized
        where date_value is null
    )

    select cast(date_value as varchar) as key_value
    from unsummarized
    union
    select cast(report_date as varchar) as key_value
    from {{ this }}
    where (select is_whole from fact_built_whole)
    union
    select cast({{ fact_date }} as varchar) as key_value
    from {{ model_relation(fact_model) }}
    where (select is_whole from fact_built_whole)
    union
    select cast(summary.report_date as varchar) as key_value
    from {{ this }} as summary
    left join {{ model_relation('dim_phone_numbers') }} as phone_numbers
        on summary.wa_phone_number = phone_numbers.phone_number
    where summary.display_name is distinct from phone_numbers.display_name
{%- endmacro %}

{#- Log the dates of the rows of `relation` (where `condition` holds) for this fact
    model's summary: the rows its pre-hook deletes, and the rows its append inserts
    (touched_keys.sql). -#}
{% macro log_unsummarized_dates(summary_date, relation, condition='1 = 1') -%}
    insert into {{ incremental_state('unsummarized_dates') }}
    select distinct '{{ this.identifier }}', {{ summary_date }}
    from {{ relation }}
    where {{ summary_date }} is not null and {{ condition }}
{%- endmacro %}

{#- Post-hook of a summary: it has taken in every date `fact_model` logged. -#}
{% macro clear_unsummarized_dates(fact_model) %}
    {{ return(adapter.dispatch('clear_unsummarized_dates', 'whatsapp_reports')(fact_model)) }}
{% endmacro %}
{% macro default__clear_unsummarized_dates(fact_model) %}{% endmacro %}
{% macro duckdb__clear_unsummarized_dates(fact_model) %}
    delete from {{ incremental_state('unsummarized_dates') }} where model = '{{ fact_model }}'
{% endmacro %}
