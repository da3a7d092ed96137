with source as (

    select * from {{ source('raw', 'warranties') }}

),

renamed as (

    select
        equipment_id,
        order_id,
        kind,
        coverage,
        provider,
        starts_on,
        ends_on,
        terms,
        id as warranty_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
