-- The receivables ledger: one row per money event that changes what customers owe, with its local month and
-- the invoice it belongs to.
--   invoice      one per invoice with status not in ('draft', 'void');   amount = total, effect = +total
--   payment      one per payment with status = 'succeeded';              effect = -amount
--   refund       one per refund (any payment);                           effect = +amount
--   credit_note  one per credit note (any invoice);                      effect = -amount
-- invoice_is_issued / invoice_issued_at / invoice_written_off_at describe the event's invoice so that marts can
-- decide whether the event counts in receivables at a given instant.

with

tenants as (

    select tenant_id, time_zone from {{ ref('stg_ops__tenants') }}

),

invoices as (

    select * from {{ ref('int_invoices_enriched') }}

),

payments as (

    select * from {{ ref('stg_ops__payments') }}

),

refunds as (

    select * from {{ ref('stg_ops__refunds') }}

),

credit_notes as (

    select * from {{ ref('stg_ops__credit_notes') }}

),

events as (

    select
        tenant_id,
        'invoice' as event_type,
        invoice_id as event_id,
        invoice_id,
        issued_at as event_at,
        total as amount,
        subtotal as net_amount,
        tax_total as tax_amount,
        total as receivable_effect
    from invoices
    where is_issued

    union all

    select
        tenant_id,
        'payment' as event_type,
        payment_id as event_id,
        invoice_id,
        received_at as event_at,
        amount,
        null as net_amount,
        null as tax_amount,
        -amount as receivable_effect
    from payments
    where status = 'succeeded'

    union all

    select
        refunds.tenant_id,
        'refund' as event_type,
        refunds.refund_id as event_id,
        payments.invoice_id,
        refunds.refunded_at as event_at,
        refunds.amount,
        null as net_amount,
        null as tax_amount,
        refunds.amount as receivable_effect
    from refunds
    left join payments
        on refunds.tenant_id = payments.tenant_id
        and refunds.payment_id = payments.payment_id

    union all

    select
        tenant_id,
        'credit_note' as event_type,
        credit_note_id as event_id,
        invoice_id,
        issued_at as event_at,
        amount,
        null as net_amount,
        null as tax_amount,
        -amount as receivable_effect
    from credit_notes

),

final as (

    select
        events.tenant_id,
        events.event_type,
        events.event_id,
        events.invoice_id,
        events.event_at,
        date_trunc('month', timezone(tenants.time_zone, events.event_at))::date as event_month,
        events.amount::decimal(14, 2) as amount,
        events.net_amount::decimal(14, 2) as net_amount,
        events.tax_amount::decimal(14, 2) as tax_amount,
        events.receivable_effect::decimal(14, 2) as receivable_effect,
        coalesce(invoices.is_issued, false) as invoice_is_issued,
        invoices.issued_at as invoice_issued_at,
        invoices.issued_month as invoice_issued_month,
        invoices.written_off_at as invoice_written_off_at,
        invoices.written_off_month as invoice_written_off_month

    from events
    inner join tenants
        on events.tenant_id = tenants.tenant_id
    left join invoices
        on events.tenant_id = invoices.tenant_id
        and events.invoice_id = invoices.invoice_id

)

select * from final
