with source as (

    select * from {{ source('raw', 'parts') }}

),

renamed as (

    select
        sku,
        name,
        category,
        unit,
        unit_cost,
        sale_price,
        warranty_months,
        is_consumable,
        preferred_supplier_id,
        equipment_model_id,
        id as part_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
