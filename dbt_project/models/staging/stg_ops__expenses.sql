with source as (

    select * from {{ source('raw', 'expenses') }}

),

renamed as (

    select
        category_id,
        supplier_id,
        bank_account_id,
        description,
        amount,
        incurred_on,
        due_on,
        paid_at,
        id as expense_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
