with source as (

    select * from {{ source('raw', 'customer_tiers') }}

),

renamed as (

    select
        code,
        name,
        discount_pct,
        rank,
        id as tier_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
