-- One row per breached SLA clock (sla_clocks.state = 'breached'), stopped or still running.
with

clocks as (

    select * from {{ ref('stg_ops__sla_clocks') }}
    where state = 'breached'

),

orders as (

    select * from {{ ref('int_sla_orders_joined') }}

),

late_minutes as (

    select * from {{ ref('int_sla_intervals_business_minutes') }}
    where measure in ('response_late', 'resolution_late')

),

final as (

    select
        clocks.clock_id::bigint as clock_id,
        clocks.tenant_id::bigint as tenant_id,
        clocks.order_id::bigint as order_id,
        orders.order_number::varchar as order_number,
        orders.customer_id::bigint as customer_id,
        orders.customer_name::varchar as customer_name,
        clocks.policy_id::bigint as policy_id,
        clocks.kind::varchar as clock_kind,
        orders.priority::varchar as priority,
        orders.customer_tier::varchar as customer_tier,
        clocks.started_at::timestamptz as started_at,
        clocks.due_at::timestamptz as due_at,
        clocks.stopped_at::timestamptz as stopped_at,
        (clocks.stopped_at is null)::boolean as is_open,
        round(late_minutes.business_minutes, 2)::decimal(12, 2) as minutes_late_business,
        round(late_minutes.wall_minutes, 2)::decimal(12, 2) as minutes_late_wall,
        orders.current_stage::varchar as current_stage
    from clocks
    left join orders
        on orders.tenant_id = clocks.tenant_id
        and orders.order_id = clocks.order_id
    left join late_minutes
        on late_minutes.tenant_id = clocks.tenant_id
        and late_minutes.order_id = clocks.order_id
        and late_minutes.measure = clocks.kind || '_late'

)

select * from final
