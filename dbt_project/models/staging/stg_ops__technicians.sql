with source as (

    select * from {{ source('raw', 'technicians') }}

),

renamed as (

    select
        user_id,
        name,
        email,
        phone,
        home_latitude,
        home_longitude,
        depot_location_id,
        van_location_id,
        hourly_cost,
        max_daily_minutes,
        max_travel_minutes,
        works_in_field,
        is_active,
        hired_on,
        id as technician_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
