with source as (

    select * from {{ source('raw', 'technician_skills') }}

),

renamed as (

    select
        technician_id,
        skill_id,
        level,
        tenant_id
    from source

)

select * from renamed
