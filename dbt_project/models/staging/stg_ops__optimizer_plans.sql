with source as (

    select * from {{ source('raw', 'optimizer_plans') }}

),

renamed as (

    select
        plan_date,
        status,
        solver,
        time_limit_seconds,
        seed,
        cast(kpis as json) as kpis,
        created_by,
        decided_at,
        id as plan_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
