with source as (

    select * from {{ source('raw', 'commission_rules') }}

),

renamed as (

    select
        technician_id,
        base_per_job,
        labour_pct,
        bonus_jobs_threshold,
        bonus_amount,
        valid_from,
        valid_to,
        id as commission_rule_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
