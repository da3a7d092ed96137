with source as (

    select * from {{ source('raw', 'shift_breaks') }}

),

renamed as (

    select
        shift_id,
        earliest_start,
        latest_end,
        duration_minutes,
        id as break_id,
        tenant_id
    from source

)

select * from renamed
