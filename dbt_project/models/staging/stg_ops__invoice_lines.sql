with source as (

    select * from {{ source('raw', 'invoice_lines') }}

),

renamed as (

    select
        invoice_id,
        order_line_id,
        line_no,
        description,
        kind,
        quantity,
        unit_price,
        tax_rate_pct,
        net_amount,
        tax_amount,
        total_amount,
        id as invoice_line_id,
        tenant_id
    from source

)

select * from renamed
