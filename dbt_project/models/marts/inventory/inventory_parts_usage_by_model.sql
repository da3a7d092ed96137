{#- One row per tenant × equipment model × part: how many of the part went into completed repairs
    of that model (order lines kind 'part' of completed, non-cancelled orders), at what cost and price.
    Orders without equipment (or equipment without a model) are left out. -#}
with part_lines as (

    select * from {{ ref('int_part_lines_completed') }}
    where model_id is not null

),

usage as (

    select
        tenant_id,
        model_id,
        part_id,
        count(distinct order_id) as orders,
        count(distinct equipment_id) as equipment_units,
        sum(quantity) as quantity_used,
        sum(cost_amount) as cost_amount,
        sum(revenue_amount) as revenue_amount,
        min(completed_at) as first_used_at,
        max(completed_at) as last_used_at
    from part_lines
    group by all

),

final as (

    select
        usage.tenant_id,
        usage.model_id,
        usage.part_id,
        equipment_models.name as model_name,
        equipment_models.category as model_category,
        parts.sku,
        parts.name as part_name,
        usage.orders::integer as orders,
        usage.equipment_units::integer as equipment_units,
        usage.quantity_used::decimal(14, 3) as quantity_used,
        usage.cost_amount::decimal(14, 2) as cost_amount,
        usage.revenue_amount::decimal(14, 2) as revenue_amount,
        usage.first_used_at,
        usage.last_used_at
    from usage
    left join {{ ref('stg_ops__equipment_models') }} as equipment_models
        on usage.tenant_id = equipment_models.tenant_id
        and usage.model_id = equipment_models.model_id
    left join {{ ref('stg_ops__parts') }} as parts
        on usage.tenant_id = parts.tenant_id
        and usage.part_id = parts.part_id

)

select * from final
