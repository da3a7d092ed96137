with source as (

    select * from {{ source('raw', 'order_lines') }}

),

renamed as (

    select
        order_id,
        line_no,
        kind,
        description,
        service_item_id,
        part_id,
        technician_id,
        quantity,
        unit_price,
        unit_cost,
        tax_rate_id,
        tax_rate_pct,
        warranty_months,
        id as order_line_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
