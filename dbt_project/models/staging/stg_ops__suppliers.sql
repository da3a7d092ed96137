with source as (

    select * from {{ source('raw', 'suppliers') }}

),

renamed as (

    select
        name,
        email,
        phone,
        lead_time_days,
        id as supplier_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
