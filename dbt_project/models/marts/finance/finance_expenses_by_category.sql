-- Tenant x month x expense category: spending incurred (incurred_on month) and paid (paid_at month, tenant
-- time). Only months in which the category had an expense incurred or paid get a row.

with

expenses as (

    select * from {{ ref('stg_ops__expenses') }}

),

categories as (

    select tenant_id, category_id, name from {{ ref('stg_ops__expense_categories') }}

),

tenants as (

    select tenant_id, time_zone from {{ ref('stg_ops__tenants') }}

),

movements as (

    select
        tenant_id,
        category_id,
        date_trunc('month', incurred_on)::date as month_start,
        amount as amount_incurred,
        0 as amount_paid,
        1 as incurred_count,
        0 as paid_count
    from expenses

    union all

    select
        expenses.tenant_id,
        expenses.category_id,
        date_trunc('month', timezone(tenants.time_zone, expenses.paid_at))::date as month_start,
        0 as amount_incurred,
        expenses.amount as amount_paid,
        0 as incurred_count,
        1 as paid_count
    from expenses
    inner join tenants
        on expenses.tenant_id = tenants.tenant_id
    where expenses.paid_at is not null

),

final as (

    select
        movements.tenant_id::bigint as tenant_id,
        movements.month_start::date as month_start,
        movements.category_id::bigint as category_id,
        categories.name::varchar as category_name,
        sum(movements.incurred_count)::bigint as expenses_incurred_count,
        sum(movements.amount_incurred)::decimal(14, 2) as amount_incurred,
        sum(movements.paid_count)::bigint as expenses_paid_count,
        sum(movements.amount_paid)::decimal(14, 2) as amount_paid

    from movements
    left join categories
        on movements.tenant_id = categories.tenant_id
        and movements.category_id = categories.category_id
    group by 1, 2, 3, 4

)

select * from final
