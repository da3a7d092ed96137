-- Tenant x aging bucket totals of finance_receivables_aging; all five buckets for every tenant (zero-filled).

with

aging as (

    select * from {{ ref('finance_receivables_aging') }}

),

tenants as (

    select tenant_id, as_of_date from {{ ref('int_tenants_dated') }}

),

buckets as (

    select * from (
        values
            ('current', 1),
            ('1-30', 2),
            ('31-60', 3),
            ('61-90', 4),
            ('90+', 5)
    ) as b (aging_bucket, bucket_order)

),

totals as (

    select
        tenant_id,
        aging_bucket,
        count(*) as invoice_count,
        sum(balance) as balance
    from aging
    group by 1, 2

),

final as (

    select
        tenants.tenant_id::bigint as tenant_id,
        tenants.as_of_date::date as as_of_date,
        buckets.aging_bucket::varchar as aging_bucket,
        buckets.bucket_order::integer as bucket_order,
        coalesce(totals.invoice_count, 0)::bigint as invoice_count,
        coalesce(totals.balance, 0)::decimal(14, 2) as balance

    from tenants
    cross join buckets
    left join totals
        on tenants.tenant_id = totals.tenant_id
        and buckets.aging_bucket = totals.aging_bucket

)

select * from final
