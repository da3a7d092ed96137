with source as (

    select * from {{ source('raw', 'tenants') }}

),

renamed as (

    select
        slug,
        name,
        legal_name,
        tax_number,
        cast(branding as json) as branding,
        locale,
        time_zone,
        currency,
        prices_include_tax,
        order_number_prefix,
        invoice_number_prefix,
        require_totp,
        max_failed_logins,
        is_active,
        id as tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
