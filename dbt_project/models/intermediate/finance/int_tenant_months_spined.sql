-- One row per tenant x month (tenant time) from the month of the tenant's first receivables-ledger event
-- (issued invoice, succeeded payment, refund or credit note) to the current month, with no gaps.
-- month_start_at / next_month_start_at are the month's first instant and the next month's first instant.

with

ledger as (

    select * from {{ ref('int_receivable_events_unioned') }}

),

tenants as (

    select * from {{ ref('int_tenants_dated') }}

),

bounds as (

    select
        tenants.tenant_id,
        tenants.time_zone,
        min(ledger.event_month) as first_month,
        tenants.current_month_start as last_month
    from tenants
    inner join ledger
        on tenants.tenant_id = ledger.tenant_id
    group by tenants.tenant_id, tenants.time_zone, tenants.current_month_start

),

months as (

    select
        tenant_id,
        time_zone,
        unnest(generate_series(first_month, last_month, interval 1 month))::date as month_start
    from bounds

),

final as (

    select
        tenant_id,
        month_start,
        timezone(time_zone, month_start::timestamp) as month_start_at,
        timezone(time_zone, (month_start + interval 1 month)::timestamp) as next_month_start_at
    from months

)

select * from final
