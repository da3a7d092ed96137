with source as (

    select * from {{ source('raw', 'equipment_models') }}

),

renamed as (

    select
        manufacturer_id,
        name,
        category,
        default_warranty_months,
        id as model_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
