-- One row per order that has an SLA policy: response and resolution measured in business minutes of the
-- policy's calendar, net of time the clock was paused (waiting for the customer), against the policy targets.
with

orders as (

    select * from {{ ref('int_sla_orders_joined') }}

),

interval_minutes as (

    select * from {{ ref('int_sla_intervals_business_minutes') }}

),

minutes as (

    select
        tenant_id,
        order_id,
        max(business_minutes) filter (where measure = 'response_elapsed') as response_gross_minutes,
        max(business_minutes) filter (where measure = 'response_open_pause') as response_open_pause_minutes,
        max(business_minutes) filter (where measure = 'resolution_elapsed') as resolution_gross_minutes,
        max(business_minutes) filter (where measure = 'resolution_open_pause') as resolution_open_pause_minutes,
        max(wall_minutes) filter (where measure = 'resolution_elapsed') as resolution_wall_minutes
    from interval_minutes
    group by tenant_id, order_id

),

measured as (

    select
        orders.*,
        coalesce(orders.response_paused_seconds, 0) / 60.0
            + coalesce(minutes.response_open_pause_minutes, 0) as response_paused_minutes,
        coalesce(orders.resolution_paused_seconds, 0) / 60.0
            + coalesce(minutes.resolution_open_pause_minutes, 0) as resolution_paused_minutes,
        minutes.response_gross_minutes,
        minutes.resolution_gross_minutes,
        minutes.resolution_wall_minutes
    from orders
    left join minutes
        on minutes.tenant_id = orders.tenant_id
        and minutes.order_id = orders.order_id

),

netted as (

    select
        *,
        greatest(response_gross_minutes - response_paused_minutes, 0) as response_net_minutes,
        greatest(resolution_gross_minutes - resolution_paused_minutes, 0) as resolution_net_minutes
    from measured

),

final as (

    select
        order_id::bigint as order_id,
        tenant_id::bigint as tenant_id,
        order_number::varchar as order_number,
        customer_id::bigint as customer_id,
        policy_id::bigint as policy_id,
        calendar_id::bigint as calendar_id,
        priority::varchar as priority,
        customer_tier::varchar as customer_tier,
        current_stage::varchar as current_stage,
        received_at::timestamptz as received_at,
        received_month::date as received_month,
        first_response_at::timestamptz as first_response_at,
        resolved_at::timestamptz as resolved_at,
        is_cancelled::boolean as is_cancelled,
        cancelled_at::timestamptz as cancelled_at,
        response_target_minutes::integer as response_target_minutes,
        resolution_target_minutes::integer as resolution_target_minutes,
        case when first_response_at is not null
            then round(response_net_minutes, 2) end::decimal(12, 2) as response_business_minutes,
        case when resolved_at is not null
            then round(resolution_net_minutes, 2) end::decimal(12, 2) as resolution_business_minutes,
        round(resolution_net_minutes, 2)::decimal(12, 2) as resolution_elapsed_business_minutes,
        round(resolution_paused_minutes, 2)::decimal(12, 2) as resolution_paused_business_minutes,
        round(resolution_wall_minutes, 2)::decimal(12, 2) as resolution_wall_minutes,
        case when first_response_at is not null
            then response_net_minutes <= response_target_minutes end::boolean as response_met,
        case when resolved_at is not null
            then resolution_net_minutes <= resolution_target_minutes end::boolean as resolution_met,
        case
            when first_response_at is not null and response_net_minutes <= response_target_minutes then 'met'
            when first_response_at is not null then 'breached'
            when is_cancelled then 'cancelled'
            when response_net_minutes > response_target_minutes then 'open_breached'
            else 'open'
        end::varchar as response_outcome,
        case
            when resolved_at is not null and resolution_net_minutes <= resolution_target_minutes then 'met'
            when resolved_at is not null then 'breached'
            when is_cancelled then 'cancelled'
            when resolution_net_minutes > resolution_target_minutes then 'open_breached'
            else 'open'
        end::varchar as resolution_outcome,
        response_clock_state::varchar as response_clock_state,
        resolution_clock_id::bigint as resolution_clock_id,
        resolution_clock_state::varchar as resolution_clock_state,
        resolution_due_at::timestamptz as resolution_due_at,
        resolution_clock_stopped_at::timestamptz as resolution_clock_stopped_at
    from netted

)

select * from final
