{#- One row per tenant × stock location × part with a stock level: on hand, reserved, available
    and its value at the part's current unit cost. -#}
with stock_levels as (

    select * from {{ ref('stg_ops__stock_levels') }}

),

locations as (

    select * from {{ ref('stg_ops__stock_locations') }}

),

parts as (

    select * from {{ ref('stg_ops__parts') }}

),

final as (

    select
        stock_levels.tenant_id,
        stock_levels.location_id,
        stock_levels.part_id,
        locations.code as location_code,
        locations.name as location_name,
        locations.kind as location_kind,
        locations.is_active as location_is_active,
        parts.sku,
        parts.name as part_name,
        parts.category as part_category,
        parts.is_consumable,
        stock_levels.quantity,
        stock_levels.reserved,
        (stock_levels.quantity - stock_levels.reserved)::decimal(12, 3) as available,
        stock_levels.reorder_point,
        stock_levels.reorder_quantity,
        parts.unit_cost,
        round(stock_levels.quantity * parts.unit_cost, 2)::decimal(14, 2) as stock_value,
        round((stock_levels.quantity - stock_levels.reserved) * parts.unit_cost, 2)::decimal(14, 2)
            as available_stock_value,
        stock_levels.updated_at as level_updated_at
    from stock_levels
    inner join locations
        on stock_levels.tenant_id = locations.tenant_id
        and stock_levels.location_id = locations.location_id
    inner join parts
        on stock_levels.tenant_id = parts.tenant_id
        and stock_levels.part_id = parts.part_id

)

select * from final
