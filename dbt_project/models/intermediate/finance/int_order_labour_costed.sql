-- One row per order that has labour: worked hours and their cost.
-- Preferred source: time_entries of kind on_site/workshop (finished: ended_at > started_at), each entry's
-- seconds x its technician's hourly_cost, summed per order and rounded half-up to the cent once per order
-- (integer cent arithmetic, so no floating point touches the money).
-- Fallback when the order has no such time entry: the order's labour lines, quantity (hours) x hourly_cost of
-- the line's technician, else the order's assigned technician, else the line's own unit_cost.

with

time_entries as (

    select * from {{ ref('stg_ops__time_entries') }}

),

technicians as (

    select tenant_id, technician_id, hourly_cost from {{ ref('stg_ops__technicians') }}

),

orders as (

    select tenant_id, order_id, assigned_technician_id from {{ ref('stg_ops__service_orders') }}

),

order_lines as (

    select * from {{ ref('stg_ops__order_lines') }}

),

worked as (

    select
        time_entries.tenant_id,
        time_entries.order_id,
        sum(date_diff('second', time_entries.started_at, time_entries.ended_at)) as worked_seconds,
        -- cost in cents x 3600: seconds x hourly cost in cents
        sum(
            date_diff('second', time_entries.started_at, time_entries.ended_at)::hugeint
            * (technicians.hourly_cost * 100)::bigint
        ) as cost_cent_seconds

    from time_entries
    left join technicians
        on time_entries.tenant_id = technicians.tenant_id
        and time_entries.technician_id = technicians.technician_id
    where time_entries.kind in ('on_site', 'workshop')
        and time_entries.order_id is not null
        and time_entries.ended_at > time_entries.started_at
    group by 1, 2

),

from_time_entries as (

    select
        tenant_id,
        order_id,
        'time_entries' as labour_cost_source,
        round(worked_seconds / 3600.0, 3)::decimal(12, 3) as labour_hours,
        -- round half up to whole cents, then back to a decimal amount
        (((cost_cent_seconds * 2 + 3600) // 7200)::decimal(18, 0) * 0.01)::decimal(14, 2) as labour_cost

    from worked

),

from_labour_lines as (

    select
        order_lines.tenant_id,
        order_lines.order_id,
        'labour_lines' as labour_cost_source,
        sum(order_lines.quantity)::decimal(12, 3) as labour_hours,
        round(sum(
            order_lines.quantity
            * coalesce(line_technicians.hourly_cost, order_technicians.hourly_cost, order_lines.unit_cost)
        ), 2)::decimal(14, 2) as labour_cost

    from order_lines
    left join orders
        on order_lines.tenant_id = orders.tenant_id
        and order_lines.order_id = orders.order_id
    left join technicians as line_technicians
        on order_lines.tenant_id = line_technicians.tenant_id
        and order_lines.technician_id = line_technicians.technician_id
    left join technicians as order_technicians
        on orders.tenant_id = order_technicians.tenant_id
        and orders.assigned_technician_id = order_technicians.technician_id
    where order_lines.kind = 'labour'
    group by 1, 2

),

final as (

    select * from from_time_entries

    union all

    select from_labour_lines.*
    from from_labour_lines
    where not exists (
        select 1
        from from_time_entries
        where from_time_entries.tenant_id = from_labour_lines.tenant_id
            and from_time_entries.order_id = from_labour_lines.order_id
    )

)

select * from final
