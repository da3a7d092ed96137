with source as (

    select * from {{ source('raw', 'service_catalog_items') }}

),

renamed as (

    select
        code,
        name,
        category,
        default_price,
        default_minutes,
        skill_id,
        warranty_months,
        is_active,
        id as service_item_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
