{#- Quantity still to arrive, per tenant × delivery location × part: quantity − received_quantity of
    lines on purchase orders that are still open (draft, sent, partially_received — as in the
    operational reorder_suggestions; received and cancelled orders are closed). -#}
with purchase_orders as (

    select * from {{ ref('stg_ops__purchase_orders') }}
    where status in ('draft', 'sent', 'partially_received')

),

purchase_order_lines as (

    select * from {{ ref('stg_ops__purchase_order_lines') }}

),

final as (

    select
        purchase_orders.tenant_id,
        purchase_orders.deliver_to_location_id as location_id,
        purchase_order_lines.part_id,
        count(distinct purchase_orders.purchase_order_id) as open_purchase_orders,
        sum(greatest(purchase_order_lines.quantity - purchase_order_lines.received_quantity, 0))::decimal(14, 3)
            as on_order_quantity,
        min(purchase_orders.expected_on) as earliest_expected_on
    from purchase_orders
    inner join purchase_order_lines
        on purchase_orders.tenant_id = purchase_order_lines.tenant_id
        and purchase_orders.purchase_order_id = purchase_order_lines.purchase_order_id
    group by all

)

select * from final
