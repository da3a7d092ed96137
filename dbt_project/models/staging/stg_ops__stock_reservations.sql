with source as (

    select * from {{ source('raw', 'stock_reservations') }}

),

renamed as (

    select
        order_id,
        order_line_id,
        part_id,
        location_id,
        quantity,
        status,
        id as reservation_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
