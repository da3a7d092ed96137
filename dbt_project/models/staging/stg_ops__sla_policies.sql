with source as (

    select * from {{ source('raw', 'sla_policies') }}

),

renamed as (

    select
        name,
        priority,
        customer_tier_id,
        calendar_id,
        response_minutes,
        resolution_minutes,
        at_risk_pct,
        is_active,
        id as policy_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
