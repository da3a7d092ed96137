-- THE RECONCILIATION MART: one row per tenant x month (tenant time), first ledger month to current month.
-- Month m covers [m's first instant, next month's first instant) in the tenant's time zone; "before the end of m"
-- means strictly before the next month's first instant.
--   invoiced_*          invoices with status not in ('draft','void') issued in m: subtotal, tax_total, total
--   payments_received   payments with status 'succeeded' received in m
--   refunds_paid        refunds refunded in m
--   credit_notes_issued credit notes issued in m
--   receivables_end     over invoices with status not in ('draft','void') issued before the end of m and not
--                       written off before the end of m: total - succeeded payments + refunds (via their
--                       payment's invoice) - credit notes, each counted when it happened before the end of m.

with

spine as (

    select tenant_id, month_start from {{ ref('int_tenant_months_spined') }}

),

ledger as (

    select * from {{ ref('int_receivable_events_unioned') }}

),

activity as (

    select
        tenant_id,
        event_month as month_start,
        sum(case when event_type = 'invoice' then net_amount end) as invoiced_net,
        sum(case when event_type = 'invoice' then tax_amount end) as invoiced_tax,
        sum(case when event_type = 'invoice' then amount end) as invoiced_total,
        sum(case when event_type = 'payment' then amount end) as payments_received,
        sum(case when event_type = 'refund' then amount end) as refunds_paid,
        sum(case when event_type = 'credit_note' then amount end) as credit_notes_issued
    from ledger
    group by 1, 2

),

-- An event counts in receivables_end of every month m with
--   m >= its own month and m >= its invoice's issue month   (both happened before the end of m)
--   and m < its invoice's write-off month, if any          (invoice not written off before the end of m).
-- So it enters at enters_month and leaves at the write-off month; events of invoices written off in or before
-- enters_month never count.
receivable_windows as (

    select
        tenant_id,
        receivable_effect,
        greatest(event_month, invoice_issued_month) as enters_month,
        invoice_written_off_month as leaves_month
    from ledger
    where invoice_is_issued
        and invoice_issued_at is not null
        and (invoice_written_off_month is null
            or invoice_written_off_month > greatest(event_month, invoice_issued_month))

),

receivable_changes as (

    select tenant_id, enters_month as month_start, receivable_effect as change
    from receivable_windows

    union all

    select tenant_id, leaves_month as month_start, -receivable_effect as change
    from receivable_windows
    where leaves_month is not null

),

monthly_changes as (

    select tenant_id, month_start, sum(change) as change
    from receivable_changes
    group by 1, 2

),

receivables as (

    select
        spine.tenant_id,
        spine.month_start,
        sum(monthly_changes.change) as receivables_end
    from spine
    left join monthly_changes
        on spine.tenant_id = monthly_changes.tenant_id
        and monthly_changes.month_start <= spine.month_start
    group by 1, 2

),

final as (

    select
        spine.tenant_id::bigint as tenant_id,
        spine.month_start::date as month_start,
        coalesce(activity.invoiced_net, 0)::decimal(14, 2) as invoiced_net,
        coalesce(activity.invoiced_tax, 0)::decimal(14, 2) as invoiced_tax,
        coalesce(activity.invoiced_total, 0)::decimal(14, 2) as invoiced_total,
        coalesce(activity.payments_received, 0)::decimal(14, 2) as payments_received,
        coalesce(activity.refunds_paid, 0)::decimal(14, 2) as refunds_paid,
        coalesce(activity.credit_notes_issued, 0)::decimal(14, 2) as credit_notes_issued,
        coalesce(receivables.receivables_end, 0)::decimal(14, 2) as receivables_end

    from spine
    left join activity
        on spine.tenant_id = activity.tenant_id
        and spine.month_start = activity.month_start
    left join receivables
        on spine.tenant_id = receivables.tenant_id
        and spine.month_start = receivables.month_start

)

select * from final
