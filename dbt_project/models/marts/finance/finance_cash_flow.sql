-- Tenant x month (tenant time) cash movements, every month from the first cash movement to the current month.

with

payments as (

    select * from {{ ref('fct_payments') }}
    where is_settled

),

refunds as (

    select * from {{ ref('fct_refunds') }}

),

expenses as (

    select * from {{ ref('stg_ops__expenses') }}
    where paid_at is not null

),

tenants as (

    select * from {{ ref('int_tenants_dated') }}

),

movements as (

    select tenant_id, date_trunc('month', received_date)::date as month_start,
        amount as cash_in, 0 as cash_out_refunds, 0 as cash_out_expenses
    from payments

    union all

    select tenant_id, date_trunc('month', refunded_date)::date as month_start,
        0 as cash_in, amount as cash_out_refunds, 0 as cash_out_expenses
    from refunds

    union all

    select expenses.tenant_id, date_trunc('month', timezone(tenants.time_zone, expenses.paid_at))::date,
        0 as cash_in, 0 as cash_out_refunds, expenses.amount as cash_out_expenses
    from expenses
    inner join tenants
        on expenses.tenant_id = tenants.tenant_id

),

monthly as (

    select
        tenant_id,
        month_start,
        sum(cash_in) as cash_in,
        sum(cash_out_refunds) as cash_out_refunds,
        sum(cash_out_expenses) as cash_out_expenses
    from movements
    group by 1, 2

),

spine as (

    select
        tenants.tenant_id,
        unnest(generate_series(min(monthly.month_start), tenants.current_month_start, interval 1 month))::date
            as month_start
    from tenants
    inner join monthly
        on tenants.tenant_id = monthly.tenant_id
    group by tenants.tenant_id, tenants.current_month_start

),

final as (

    select
        spine.tenant_id::bigint as tenant_id,
        spine.month_start::date as month_start,
        coalesce(monthly.cash_in, 0)::decimal(14, 2) as cash_in,
        coalesce(monthly.cash_out_refunds, 0)::decimal(14, 2) as cash_out_refunds,
        coalesce(monthly.cash_out_expenses, 0)::decimal(14, 2) as cash_out_expenses,
        (
            coalesce(monthly.cash_in, 0)
            - coalesce(monthly.cash_out_refunds, 0)
            - coalesce(monthly.cash_out_expenses, 0)
        )::decimal(14, 2) as net_cash_flow

    from spine
    left join monthly
        on spine.tenant_id = monthly.tenant_id
        and spine.month_start = monthly.month_start

)

select * from final
