with source as (

    select * from {{ source('raw', 'customer_sites') }}

),

renamed as (

    select
        customer_id,
        label,
        address_line1,
        address_line2,
        city,
        region,
        postal_code,
        country,
        latitude,
        longitude,
        access_notes,
        id as site_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
