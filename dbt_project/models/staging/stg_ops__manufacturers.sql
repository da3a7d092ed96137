with source as (

    select * from {{ source('raw', 'manufacturers') }}

),

renamed as (

    select
        name,
        id as manufacturer_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
