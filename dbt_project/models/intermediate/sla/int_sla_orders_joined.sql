-- One row per order that has an SLA policy: the order with its policy targets, calendar, customer tier,
-- tenant-local month, milestones (first response, resolution) and its SLA clocks.
with

orders as (

    select * from {{ ref('stg_ops__service_orders') }}
    where sla_policy_id is not null

),

policies as (

    select * from {{ ref('stg_ops__sla_policies') }}

),

customers as (

    select * from {{ ref('stg_ops__customers') }}

),

tiers as (

    select * from {{ ref('stg_ops__customer_tiers') }}

),

tenants as (

    select * from {{ ref('stg_ops__tenants') }}

),

milestones as (

    select * from {{ ref('int_sla_order_milestones') }}

),

clocks as (

    select * from {{ ref('int_sla_clocks_pivoted') }}

),

final as (

    select
        orders.order_id,
        orders.tenant_id,
        orders.order_number,
        orders.customer_id,
        customers.name as customer_name,
        orders.sla_policy_id as policy_id,
        policies.calendar_id,
        orders.priority,
        coalesce(tiers.code, 'none') as customer_tier,
        orders.stage as current_stage,
        orders.received_at,
        date_trunc('month', timezone(tenants.time_zone, orders.received_at))::date as received_month,
        milestones.first_response_at,
        milestones.resolved_at,
        orders.cancelled_at,
        (orders.cancelled_at is not null or orders.stage = 'cancelled') as is_cancelled,
        policies.response_minutes as response_target_minutes,
        policies.resolution_minutes as resolution_target_minutes,
        clocks.response_clock_id,
        clocks.response_clock_state,
        clocks.response_clock_started_at,
        clocks.response_due_at,
        clocks.response_paused_at,
        clocks.response_paused_seconds,
        clocks.response_clock_stopped_at,
        clocks.resolution_clock_id,
        clocks.resolution_clock_state,
        clocks.resolution_clock_started_at,
        clocks.resolution_due_at,
        clocks.resolution_paused_at,
        clocks.resolution_paused_seconds,
        clocks.resolution_clock_stopped_at
    from orders
    inner join policies
        on policies.tenant_id = orders.tenant_id
        and policies.policy_id = orders.sla_policy_id
    left join customers
        on customers.tenant_id = orders.tenant_id
        and customers.customer_id = orders.customer_id
    left join tiers
        on tiers.tenant_id = customers.tenant_id
        and tiers.tier_id = customers.tier_id
    left join tenants
        on tenants.tenant_id = orders.tenant_id
    left join milestones
        on milestones.tenant_id = orders.tenant_id
        and milestones.order_id = orders.order_id
    left join clocks
        on clocks.tenant_id = orders.tenant_id
        and clocks.order_id = orders.order_id

)

select * from final
