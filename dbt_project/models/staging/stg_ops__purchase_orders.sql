with source as (

    select * from {{ source('raw', 'purchase_orders') }}

),

renamed as (

    select
        po_number,
        supplier_id,
        status,
        deliver_to_location_id,
        for_order_id,
        ordered_at,
        expected_on,
        total,
        notes,
        id as purchase_order_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
