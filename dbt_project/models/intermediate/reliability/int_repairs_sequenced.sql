-- One row per failure order: a non-cancelled, non-maintenance service order on a known piece of equipment,
-- placed in sequence with the previous and next failure of the same equipment (by received_at), with its
-- visit count (done bookings) and the repeat / first-time-fix flags.
--   previous/next failure: the neighbouring failure orders of the same equipment ordered by received_at.
--   is_repeat_within_30d: this failure arrived within 30 days after the previous failure's repair was completed.
--   is_followed_by_repeat_30d (completed repairs only): the next failure of the equipment arrived within 30 days
--     of this repair's completion.
--   is_first_time_fix (completed repairs only): at most one done booking (workshop jobs without a booking count
--     as one visit) AND not followed by a repeat failure within 30 days.
--   is_repeat_window_closed: 30 days have passed since completion (as of the data), so "no repeat" is final.
with

orders as (

    select * from {{ ref('stg_ops__service_orders') }}
    where equipment_id is not null
      and maintenance_plan_id is null
      and cancelled_at is null
      and stage <> 'cancelled'

),

equipment as (

    select * from {{ ref('stg_ops__equipment') }}

),

tenants as (

    select * from {{ ref('stg_ops__tenants') }}

),

bookings as (

    select
        tenant_id,
        order_id,
        count(*) filter (where status = 'done') as done_bookings
    from {{ ref('stg_ops__bookings') }}
    group by tenant_id, order_id

),

as_of as (

    select as_of_at from {{ ref('int_ops_as_of') }}

),

sequenced as (

    select
        orders.tenant_id,
        orders.order_id,
        orders.order_number,
        orders.customer_id,
        orders.equipment_id,
        equipment.model_id,
        orders.location,
        orders.priority,
        orders.fault_type,
        orders.is_warranty_repair,
        orders.warranty_id,
        orders.received_at,
        date_trunc('month', timezone(tenants.time_zone, orders.received_at))::date as received_month,
        orders.completed_at,
        coalesce(bookings.done_bookings, 0) as visits,
        lag(orders.order_id) over equipment_history as previous_failure_order_id,
        lag(orders.received_at) over equipment_history as previous_failure_at,
        lag(orders.completed_at) over equipment_history as previous_completed_at,
        lead(orders.order_id) over equipment_history as next_failure_order_id,
        lead(orders.received_at) over equipment_history as next_failure_at
    from orders
    left join equipment
        on equipment.tenant_id = orders.tenant_id
        and equipment.equipment_id = orders.equipment_id
    left join tenants
        on tenants.tenant_id = orders.tenant_id
    left join bookings
        on bookings.tenant_id = orders.tenant_id
        and bookings.order_id = orders.order_id
    window equipment_history as (
        partition by orders.tenant_id, orders.equipment_id
        order by orders.received_at, orders.order_id
    )

),

flagged as (

    select
        sequenced.*,
        (sequenced.completed_at is not null) as is_completed,
        (epoch(sequenced.completed_at) - epoch(sequenced.received_at)) / 3600.0 as repair_hours,
        (epoch(sequenced.received_at) - epoch(sequenced.previous_failure_at)) / 86400.0
            as days_since_previous_failure,
        coalesce(
            sequenced.previous_completed_at is not null
            and sequenced.received_at <= sequenced.previous_completed_at + interval 30 days,
            false
        ) as is_repeat_within_30d,
        case when sequenced.completed_at is not null then coalesce(
            sequenced.next_failure_at <= sequenced.completed_at + interval 30 days, false
        ) end as is_followed_by_repeat_30d,
        case when sequenced.completed_at is not null
            then sequenced.completed_at + interval 30 days <= as_of.as_of_at
        end as is_repeat_window_closed
    from sequenced
    cross join as_of

),

final as (

    select
        *,
        case when is_completed
            then visits <= 1 and not is_followed_by_repeat_30d
        end as is_first_time_fix
    from flagged

)

select * from final
