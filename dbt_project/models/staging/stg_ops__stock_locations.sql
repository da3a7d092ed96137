with source as (

    select * from {{ source('raw', 'stock_locations') }}

),

renamed as (

    select
        code,
        name,
        kind,
        latitude,
        longitude,
        is_active,
        id as location_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
