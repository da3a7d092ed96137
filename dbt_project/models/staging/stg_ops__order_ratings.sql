with source as (

    select * from {{ source('raw', 'order_ratings') }}

),

renamed as (

    select
        order_id,
        score,
        comment,
        created_at,
        id as rating_id,
        tenant_id
    from source

)

select * from renamed
