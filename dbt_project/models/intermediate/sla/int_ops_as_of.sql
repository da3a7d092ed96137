-- The moment the extracted data describes: "now" for every mart that measures waiting, ageing or elapsed time
-- (open orders, SLA clocks, receivables aging, stock-outs, churn). It is the latest activity seen in the
-- extract, or var('as_of') when given. Deterministic for a given warehouse (unlike current_timestamp), so rebuilding the marts on the same
-- extract gives the same minutes-late and elapsed figures. Falls back to current_timestamp on an empty warehouse.
with

events as (

    select max(occurred_at) as last_event_at from {{ ref('stg_ops__order_events') }}

),

clocks as (

    select max(updated_at) as last_clock_update_at from {{ ref('stg_ops__sla_clocks') }}

),

orders as (

    select max(updated_at) as last_order_update_at from {{ ref('stg_ops__service_orders') }}

),

final as (

    select
        {% if var('as_of', none) %}cast('{{ var('as_of') }}' as timestamptz){% else %}coalesce(
            greatest(events.last_event_at, clocks.last_clock_update_at, orders.last_order_update_at),
            current_timestamp
        )::timestamptz{% endif %} as as_of_at
    from events
    cross join clocks
    cross join orders

)

select * from final
