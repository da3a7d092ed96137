-- One row per failure order (non-cancelled, non-maintenance order on a known piece of equipment; open ones too).
with

repairs as (

    select * from {{ ref('int_repairs_sequenced') }}

),

order_lines as (

    select
        tenant_id,
        order_id,
        sum(quantity * coalesce(unit_cost, 0)) as line_cost,
        sum(quantity * unit_price) as line_value
    from {{ ref('stg_ops__order_lines') }}
    group by tenant_id, order_id

),

claims as (

    select
        tenant_id,
        order_id,
        count(*) as warranty_claims,
        sum(claimed_amount) as claimed_amount
    from {{ ref('stg_ops__warranty_claims') }}
    group by tenant_id, order_id

),

final as (

    select
        repairs.order_id::bigint as order_id,
        repairs.tenant_id::bigint as tenant_id,
        repairs.order_number::varchar as order_number,
        repairs.customer_id::bigint as customer_id,
        repairs.equipment_id::bigint as equipment_id,
        repairs.model_id::bigint as model_id,
        repairs.location::varchar as location,
        repairs.priority::varchar as priority,
        repairs.fault_type::varchar as fault_type,
        repairs.received_at::timestamptz as received_at,
        repairs.received_month::date as received_month,
        repairs.completed_at::timestamptz as completed_at,
        repairs.is_completed::boolean as is_completed,
        round(repairs.repair_hours, 2)::decimal(12, 2) as repair_hours,
        coalesce(repairs.is_warranty_repair, false)::boolean as is_warranty_repair,
        repairs.warranty_id::bigint as warranty_id,
        repairs.previous_failure_order_id::bigint as previous_failure_order_id,
        repairs.previous_failure_at::timestamptz as previous_failure_at,
        repairs.previous_completed_at::timestamptz as previous_completed_at,
        round(repairs.days_since_previous_failure, 2)::decimal(12, 2) as days_since_previous_failure,
        repairs.is_repeat_within_30d::boolean as is_repeat_within_30d,
        repairs.next_failure_at::timestamptz as next_failure_at,
        repairs.is_followed_by_repeat_30d::boolean as is_followed_by_repeat_30d,
        repairs.is_repeat_window_closed::boolean as is_repeat_window_closed,
        repairs.visits::integer as visits,
        repairs.is_first_time_fix::boolean as is_first_time_fix,
        round(coalesce(order_lines.line_cost, 0), 2)::decimal(14, 2) as repair_cost,
        round(coalesce(order_lines.line_value, 0), 2)::decimal(14, 2) as repair_list_value,
        coalesce(claims.warranty_claims, 0)::integer as warranty_claims,
        coalesce(claims.claimed_amount, 0)::decimal(14, 2) as warranty_claimed_amount
    from repairs
    left join order_lines
        on order_lines.tenant_id = repairs.tenant_id
        and order_lines.order_id = repairs.order_id
    left join claims
        on claims.tenant_id = repairs.tenant_id
        and claims.order_id = repairs.order_id

)

select * from final
