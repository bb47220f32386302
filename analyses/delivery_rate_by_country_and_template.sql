-- Delivery rate of outgoing messages by country and template (session messages show
-- an empty template): how many Meta accepted, delivered and read (R12).
with messages as (
    select * from {{ ref('fct_messages') }}
    where not is_incoming
)

select
    country_name as country,
    template_name,
    count(*) as created,
    sum(case when is_accepted then 1 else 0 end) as sent,
    sum(case when is_delivered then 1 else 0 end) as delivered,
    sum(case when is_read then 1 else 0 end) as read_messages,
    round(
        cast(sum(case when is_delivered then 1 else 0 end) as {{ dbt.type_numeric() }})
        / nullif(sum(case when is_accepted then 1 else 0 end), 0),
        4
    ) as delivery_rate
from messages
group by country_name, template_name
order by created desc, country, template_name
