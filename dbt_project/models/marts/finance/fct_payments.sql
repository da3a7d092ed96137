-- Every payment attempt (succeeded, pending, failed); is_settled = status 'succeeded'. Cash figures must filter
-- on is_settled.

with

payments as (

    select * from {{ ref('stg_ops__payments') }}

),

invoices as (

    select * from {{ ref('int_invoices_enriched') }}

),

tenants as (

    select tenant_id, time_zone from {{ ref('stg_ops__tenants') }}

),

final as (

    select
        payments.payment_id::bigint as payment_id,
        payments.tenant_id::bigint as tenant_id,
        payments.invoice_id::bigint as invoice_id,
        invoices.invoice_number::varchar as invoice_number,
        payments.customer_id::bigint as customer_id,
        payments.method::varchar as method,
        payments.provider::varchar as provider,
        payments.status::varchar as status,
        coalesce(payments.status = 'succeeded', false) as is_settled,
        payments.amount::decimal(14, 2) as amount,
        payments.refunded_amount::decimal(14, 2) as refunded_amount,
        (payments.amount - payments.refunded_amount)::decimal(14, 2) as net_amount,
        payments.received_at::timestamptz as received_at,
        timezone(tenants.time_zone, payments.received_at)::date as received_date,
        invoices.issued_date::date as invoice_issued_date,
        (timezone(tenants.time_zone, payments.received_at)::date - invoices.issued_date)::integer as days_to_pay

    from payments
    inner join tenants
        on payments.tenant_id = tenants.tenant_id
    left join invoices
        on payments.tenant_id = invoices.tenant_id
        and payments.invoice_id = invoices.invoice_id

)

select * from final
