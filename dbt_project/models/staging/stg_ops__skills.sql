with source as (

    select * from {{ source('raw', 'skills') }}

),

renamed as (

    select
        code,
        name,
        id as skill_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
