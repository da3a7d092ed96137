with source as (

    select * from {{ source('raw', 'credit_notes') }}

),

renamed as (

    select
        credit_note_number,
        invoice_id,
        amount,
        reason,
        issued_at,
        id as credit_note_id,
        tenant_id
    from source

)

select * from renamed
