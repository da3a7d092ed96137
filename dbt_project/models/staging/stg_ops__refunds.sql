with source as (

    select * from {{ source('raw', 'refunds') }}

),

renamed as (

    select
        payment_id,
        amount,
        reason,
        provider_reference,
        idempotency_key,
        credit_note_id,
        refunded_at,
        created_by,
        id as refund_id,
        tenant_id
    from source

)

select * from renamed
