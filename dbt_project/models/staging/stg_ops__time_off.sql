with source as (

    select * from {{ source('raw', 'time_off') }}

),

renamed as (

    select
        technician_id,
        period_lower as period_start,
        period_upper as period_end,
        reason,
        approved,
        id as time_off_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
