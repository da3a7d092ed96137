with source as (

    select * from {{ source('raw', 'warranty_claims') }}

),

renamed as (

    select
        warranty_id,
        order_id,
        status,
        claimed_amount,
        approved_amount,
        reason,
        submitted_at,
        decided_at,
        id as claim_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
