with source as (

    select * from {{ source('raw', 'bookings') }}

),

renamed as (

    select
        technician_id,
        order_id,
        planned_lower as planned_start,
        planned_upper as planned_end,
        status,
        source,
        plan_item_id,
        travel_minutes,
        technician_response,
        started_at,
        finished_at,
        id as booking_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
