with source as (

    select * from {{ source('raw', 'customers') }}

),

renamed as (

    select
        kind,
        name,
        parent_id,
        email,
        phone,
        tax_number,
        tier_id,
        segment,
        internal_rating,
        approval_threshold,
        is_active,
        id as customer_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
