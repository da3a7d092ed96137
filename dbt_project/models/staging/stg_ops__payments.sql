with source as (

    select * from {{ source('raw', 'payments') }}

),

renamed as (

    select
        invoice_id,
        customer_id,
        method,
        status,
        provider,
        provider_reference,
        idempotency_key,
        amount,
        refunded_amount,
        received_at,
        bank_account_id,
        id as payment_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
