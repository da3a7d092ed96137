with source as (

    select * from {{ source('raw', 'invoices') }}

),

renamed as (

    select
        invoice_number,
        order_id,
        customer_id,
        status,
        currency,
        issued_at,
        due_on,
        subtotal,
        tax_total,
        total,
        written_off_at,
        id as invoice_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
