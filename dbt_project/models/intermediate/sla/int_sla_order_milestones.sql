-- One row per order: the moments the SLA promises are measured against, taken from the order's event history.
--   first_response_at: the first stage change out of 'received' to anything but 'cancelled'. This is where the
--     application stops the response clock (orders/service.py _apply_transition: `if source == RECEIVED:
--     stop_clock(RESPONSE)`); a cancellation straight from 'received' is not a response.
--     The 'assigned' event is not used: assigning a technician is not a reply to the customer (and in the data it
--     happens at the same instant as the move to diagnostics anyway).
--   resolved_at: the first stage change to 'ready' (where the application stops the resolution clock and stamps
--     completed_at), falling back to service_orders.completed_at, then to closed_at, when no event exists.
--     The first 'ready' is used (not the latest completed_at) because a reopened order keeps its stopped clock.
with

orders as (

    select * from {{ ref('stg_ops__service_orders') }}

),

events as (

    select * from {{ ref('stg_ops__order_events') }}

),

event_milestones as (

    select
        tenant_id,
        order_id,
        min(occurred_at) filter (
            where event_type = 'stage_changed'
              and from_stage = 'received'
              and to_stage <> 'cancelled'
        ) as first_response_event_at,
        min(occurred_at) filter (
            where event_type = 'stage_changed'
              and to_stage = 'ready'
        ) as first_ready_event_at,
        min(occurred_at) filter (where event_type = 'assigned') as first_assigned_at
    from events
    group by tenant_id, order_id

),

final as (

    select
        orders.tenant_id,
        orders.order_id,
        event_milestones.first_response_event_at as first_response_at,
        event_milestones.first_assigned_at,
        coalesce(event_milestones.first_ready_event_at, orders.completed_at, orders.closed_at) as resolved_at,
        case
            when event_milestones.first_ready_event_at is not null then 'ready_event'
            when orders.completed_at is not null then 'completed_at'
            when orders.closed_at is not null then 'closed_at'
        end as resolved_at_source
    from orders
    left join event_milestones
        on event_milestones.tenant_id = orders.tenant_id
        and event_milestones.order_id = orders.order_id

)

select * from final
