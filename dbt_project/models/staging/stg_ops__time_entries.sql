with source as (

    select * from {{ source('raw', 'time_entries') }}

),

renamed as (

    select
        technician_id,
        order_id,
        booking_id,
        kind,
        started_at,
        ended_at,
        latitude,
        longitude,
        note,
        id as time_entry_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
