with source as (

    select * from {{ source('raw', 'sla_clocks') }}

),

renamed as (

    select
        order_id,
        policy_id,
        kind,
        state,
        started_at,
        due_at,
        paused_at,
        paused_seconds,
        stopped_at,
        id as clock_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
