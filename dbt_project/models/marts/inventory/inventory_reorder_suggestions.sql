{#- One row per tenant × location × part whose available stock (quantity − reserved) is below its
    reorder point. gross suggestion = greatest(reorder_quantity, reorder_point − available); what is
    already on open purchase orders to that location is subtracted: suggested_order_quantity =
    greatest(gross − on_order, 0). Supplier = the part's preferred supplier. -#}
with stock_levels as (

    select * from {{ ref('stg_ops__stock_levels') }}
    where quantity - reserved < reorder_point

),

parts as (

    select * from {{ ref('stg_ops__parts') }}

),

suppliers as (

    select * from {{ ref('stg_ops__suppliers') }}

),

on_order as (

    select * from {{ ref('int_purchase_order_lines_outstanding') }}

),

locations as (

    select * from {{ ref('stg_ops__stock_locations') }}

),

joined as (

    select
        stock_levels.tenant_id,
        stock_levels.location_id,
        stock_levels.part_id,
        locations.code as location_code,
        locations.kind as location_kind,
        parts.sku,
        parts.name as part_name,
        parts.unit_cost,
        stock_levels.quantity,
        stock_levels.reserved,
        stock_levels.quantity - stock_levels.reserved as available,
        stock_levels.reorder_point,
        stock_levels.reorder_quantity,
        greatest(stock_levels.reorder_quantity, stock_levels.reorder_point - (stock_levels.quantity - stock_levels.reserved))
            as gross_suggested_quantity,
        coalesce(on_order.on_order_quantity, 0) as on_order_quantity,
        coalesce(on_order.open_purchase_orders, 0) as open_purchase_orders,
        on_order.earliest_expected_on,
        parts.preferred_supplier_id,
        suppliers.name as supplier_name,
        suppliers.lead_time_days as supplier_lead_time_days
    from stock_levels
    inner join parts
        on stock_levels.tenant_id = parts.tenant_id
        and stock_levels.part_id = parts.part_id
    left join locations
        on stock_levels.tenant_id = locations.tenant_id
        and stock_levels.location_id = locations.location_id
    left join suppliers
        on parts.tenant_id = suppliers.tenant_id
        and parts.preferred_supplier_id = suppliers.supplier_id
    left join on_order
        on stock_levels.tenant_id = on_order.tenant_id
        and stock_levels.location_id = on_order.location_id
        and stock_levels.part_id = on_order.part_id

),

final as (

    select
        tenant_id,
        location_id,
        part_id,
        location_code,
        location_kind,
        sku,
        part_name,
        quantity,
        reserved,
        available::decimal(12, 3) as available,
        reorder_point,
        reorder_quantity,
        gross_suggested_quantity::decimal(12, 3) as gross_suggested_quantity,
        on_order_quantity::decimal(14, 3) as on_order_quantity,
        open_purchase_orders::integer as open_purchase_orders,
        earliest_expected_on,
        greatest(gross_suggested_quantity - on_order_quantity, 0)::decimal(14, 3) as suggested_order_quantity,
        (gross_suggested_quantity - on_order_quantity > 0) as needs_order,
        unit_cost,
        round(greatest(gross_suggested_quantity - on_order_quantity, 0) * unit_cost, 2)::decimal(14, 2)
            as suggested_order_cost,
        preferred_supplier_id,
        supplier_name,
        supplier_lead_time_days
    from joined

)

select * from final
