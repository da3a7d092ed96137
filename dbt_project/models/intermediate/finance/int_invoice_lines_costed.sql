-- One row per invoice line with the order line it was billed from (technician, unit cost), the service
-- category and the line cost. cost_amount = round(order line unit_cost * invoiced quantity, 2) for every kind
-- (parts at purchase cost, labour at the order line's standard hourly cost, services and discounts usually 0);
-- null when the line has no order line or the order line has no unit cost.

with

invoice_lines as (

    select * from {{ ref('stg_ops__invoice_lines') }}

),

order_lines as (

    select tenant_id, order_line_id, service_item_id, part_id, technician_id, unit_cost
    from {{ ref('stg_ops__order_lines') }}

),

catalog_items as (

    select tenant_id, service_item_id, category from {{ ref('stg_ops__service_catalog_items') }}

),

final as (

    select
        invoice_lines.invoice_line_id,
        invoice_lines.tenant_id,
        invoice_lines.invoice_id,
        invoice_lines.order_line_id,
        invoice_lines.line_no,
        invoice_lines.description,
        invoice_lines.kind as line_kind,
        order_lines.service_item_id,
        order_lines.part_id,
        order_lines.technician_id as order_line_technician_id,
        case
            when invoice_lines.kind = 'service' then coalesce(catalog_items.category, invoice_lines.kind)
            when invoice_lines.kind = 'part' then 'parts'
            else invoice_lines.kind
        end as service_category,
        invoice_lines.quantity,
        invoice_lines.unit_price,
        invoice_lines.tax_rate_pct,
        invoice_lines.net_amount,
        invoice_lines.tax_amount,
        invoice_lines.total_amount,
        order_lines.unit_cost,
        round(order_lines.unit_cost * invoice_lines.quantity, 2) as cost_amount

    from invoice_lines
    left join order_lines
        on invoice_lines.tenant_id = order_lines.tenant_id
        and invoice_lines.order_line_id = order_lines.order_line_id
    left join catalog_items
        on order_lines.tenant_id = catalog_items.tenant_id
        and order_lines.service_item_id = catalog_items.service_item_id

)

select * from final
