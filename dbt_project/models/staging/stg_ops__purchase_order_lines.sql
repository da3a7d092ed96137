with source as (

    select * from {{ source('raw', 'purchase_order_lines') }}

),

renamed as (

    select
        purchase_order_id,
        part_id,
        quantity,
        unit_cost,
        received_quantity,
        id as purchase_order_line_id,
        tenant_id
    from source

)

select * from renamed
