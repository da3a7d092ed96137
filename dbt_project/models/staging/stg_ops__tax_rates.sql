with source as (

    select * from {{ source('raw', 'tax_rates') }}

),

renamed as (

    select
        code,
        name,
        rate_pct,
        is_default,
        valid_from,
        id as tax_rate_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
