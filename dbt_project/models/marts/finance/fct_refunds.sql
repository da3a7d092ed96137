with

refunds as (

    select * from {{ ref('stg_ops__refunds') }}

),

payments as (

    select tenant_id, payment_id, invoice_id, customer_id, method from {{ ref('stg_ops__payments') }}

),

tenants as (

    select tenant_id, time_zone from {{ ref('stg_ops__tenants') }}

),

final as (

    select
        refunds.refund_id::bigint as refund_id,
        refunds.tenant_id::bigint as tenant_id,
        refunds.payment_id::bigint as payment_id,
        payments.invoice_id::bigint as invoice_id,
        payments.customer_id::bigint as customer_id,
        payments.method::varchar as payment_method,
        refunds.amount::decimal(14, 2) as amount,
        refunds.refunded_at::timestamptz as refunded_at,
        timezone(tenants.time_zone, refunds.refunded_at)::date as refunded_date,
        refunds.credit_note_id::bigint as credit_note_id,
        refunds.reason::varchar as reason

    from refunds
    inner join tenants
        on refunds.tenant_id = tenants.tenant_id
    left join payments
        on refunds.tenant_id = payments.tenant_id
        and refunds.payment_id = payments.payment_id

)

select * from final
