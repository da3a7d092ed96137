-- Open invoices at each tenant's as-of date (today in the tenant's time zone), one row per invoice.
-- balance = total - succeeded payments + refunds - credit notes, counting events before the end of the as-of
-- day; only invoices with status not in ('draft', 'void', 'written_off'), issued by then, without a write-off
-- before the end of the as-of day, and balance > 0.

with

ledger as (

    select * from {{ ref('int_receivable_events_unioned') }}

),

invoices as (

    select * from {{ ref('int_invoices_enriched') }}

),

tenants as (

    select * from {{ ref('int_tenants_dated') }}

),

balances as (

    select
        ledger.tenant_id,
        ledger.invoice_id,
        tenants.as_of_date,
        sum(case when ledger.event_type = 'invoice' then ledger.amount else 0 end) as invoice_total,
        sum(case when ledger.event_type = 'payment' then ledger.amount else 0 end) as paid_amount,
        sum(case when ledger.event_type = 'refund' then ledger.amount else 0 end) as refunded_amount,
        sum(case when ledger.event_type = 'credit_note' then ledger.amount else 0 end) as credited_amount,
        sum(ledger.receivable_effect) as balance

    from ledger
    inner join tenants
        on ledger.tenant_id = tenants.tenant_id
    where ledger.invoice_is_issued
        and ledger.invoice_issued_at < tenants.as_of_cutoff_at
        and ledger.event_at < tenants.as_of_cutoff_at
    group by 1, 2, 3

),

open_invoices as (

    select
        balances.*,
        invoices.invoice_number,
        invoices.customer_id,
        invoices.customer_segment,
        invoices.order_id,
        invoices.status,
        invoices.issued_date,
        invoices.due_on,
        balances.as_of_date - coalesce(invoices.due_on, invoices.issued_date) as days_past_due

    from balances
    inner join invoices
        on balances.tenant_id = invoices.tenant_id
        and balances.invoice_id = invoices.invoice_id
    inner join tenants
        on balances.tenant_id = tenants.tenant_id
    where balances.balance > 0
        -- not written off: neither status written_off nor written_off_at before the end of the as-of day
        and invoices.status <> 'written_off'
        and not coalesce(invoices.written_off_at < tenants.as_of_cutoff_at, false)

),

final as (

    select
        tenant_id::bigint as tenant_id,
        invoice_id::bigint as invoice_id,
        invoice_number::varchar as invoice_number,
        customer_id::bigint as customer_id,
        customer_segment::varchar as customer_segment,
        order_id::bigint as order_id,
        status::varchar as invoice_status,
        issued_date::date as issued_date,
        due_on::date as due_on,
        as_of_date::date as as_of_date,
        invoice_total::decimal(14, 2) as invoice_total,
        paid_amount::decimal(14, 2) as paid_amount,
        refunded_amount::decimal(14, 2) as refunded_amount,
        credited_amount::decimal(14, 2) as credited_amount,
        balance::decimal(14, 2) as balance,
        days_past_due::integer as days_past_due,
        case
            when days_past_due <= 0 then 'current'
            when days_past_due <= 30 then '1-30'
            when days_past_due <= 60 then '31-60'
            when days_past_due <= 90 then '61-90'
            else '90+'
        end::varchar as aging_bucket

    from open_invoices

)

select * from final
