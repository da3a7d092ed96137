with source as (

    select * from {{ source('raw', 'equipment') }}

),

renamed as (

    select
        customer_id,
        model_id,
        site_id,
        serial_number,
        purchase_date,
        purchase_price,
        location_note,
        status,
        id as equipment_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
