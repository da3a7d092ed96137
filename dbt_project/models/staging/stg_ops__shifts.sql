with source as (

    select * from {{ source('raw', 'shifts') }}

),

renamed as (

    select
        technician_id,
        shift_date,
        starts_at,
        ends_at,
        id as shift_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
