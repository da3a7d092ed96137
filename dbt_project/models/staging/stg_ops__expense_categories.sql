with source as (

    select * from {{ source('raw', 'expense_categories') }}

),

renamed as (

    select
        name,
        id as category_id,
        tenant_id
    from source

)

select * from renamed
