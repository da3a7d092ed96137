with source as (

    select * from {{ source('raw', 'business_calendars') }}

),

renamed as (

    select
        name,
        time_zone,
        cast(weekly_hours as json) as weekly_hours,
        holidays,
        id as calendar_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
