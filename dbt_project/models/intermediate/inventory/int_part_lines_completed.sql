{#- Part lines (order_lines kind 'part') of completed service orders (completed_at set, not
    cancelled), with the equipment model the part went into (service_orders.equipment_id →
    equipment.model_id), quantity, cost and revenue. -#}
with order_lines as (

    select * from {{ ref('stg_ops__order_lines') }}
    where kind = 'part'

),

orders as (

    select * from {{ ref('stg_ops__service_orders') }}
    where completed_at is not null
        and stage <> 'cancelled'

),

equipment as (

    select tenant_id, equipment_id, model_id from {{ ref('stg_ops__equipment') }}

),

final as (

    select
        order_lines.order_line_id,
        order_lines.tenant_id,
        order_lines.order_id,
        order_lines.part_id,
        orders.equipment_id,
        equipment.model_id,
        orders.completed_at,
        order_lines.quantity,
        order_lines.unit_cost,
        order_lines.unit_price,
        round(order_lines.quantity * order_lines.unit_cost, 2)::decimal(12, 2) as cost_amount,
        round(order_lines.quantity * order_lines.unit_price, 2)::decimal(12, 2) as revenue_amount
    from order_lines
    inner join orders
        on order_lines.tenant_id = orders.tenant_id
        and order_lines.order_id = orders.order_id
    left join equipment
        on orders.tenant_id = equipment.tenant_id
        and orders.equipment_id = equipment.equipment_id

)

select * from final
