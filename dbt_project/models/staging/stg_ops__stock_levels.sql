with source as (

    select * from {{ source('raw', 'stock_levels') }}

),

renamed as (

    select
        part_id,
        location_id,
        quantity,
        reserved,
        reorder_point,
        reorder_quantity,
        updated_at,
        tenant_id
    from source

)

select * from renamed
