{#- One row per service order currently in stage 'ready', with when it (last) became ready: the latest
    order_events stage_changed event with to_stage 'ready' (falling back to completed_at if the event is
    missing). -#}
with orders as (

    select * from {{ ref('stg_ops__service_orders') }}
    where stage = 'ready'

),

ready_events as (

    select
        tenant_id,
        order_id,
        max(occurred_at) as ready_event_at
    from {{ ref('stg_ops__order_events') }}
    where event_type = 'stage_changed'
        and to_stage = 'ready'
    group by tenant_id, order_id

),

final as (

    select
        orders.tenant_id,
        orders.order_id,
        orders.order_number,
        orders.tracking_code,
        orders.customer_id,
        orders.equipment_id,
        orders.location,
        orders.assigned_technician_id,
        orders.completed_at,
        coalesce(ready_events.ready_event_at, orders.completed_at) as ready_at,
        ready_events.ready_event_at is not null as has_ready_event
    from orders
    left join ready_events
        on orders.tenant_id = ready_events.tenant_id
        and orders.order_id = ready_events.order_id

)

select * from final
