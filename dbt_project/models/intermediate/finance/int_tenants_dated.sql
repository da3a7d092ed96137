-- One row per tenant with "today" in the tenant's time zone (the day of the warehouse's as-of moment, see
-- int_ops_as_of, so rebuilding on the same data gives the same marts): the as-of date of the receivables marts and the
-- last month of the month spines. as_of_cutoff_at is the first instant of the day after as_of_date (tenant time).

with

tenants as (

    select tenant_id, time_zone from {{ ref('stg_ops__tenants') }}

),

as_of as (

    select as_of_at from {{ ref('int_ops_as_of') }}

),

dated as (

    select
        tenant_id,
        time_zone,
        timezone(time_zone, as_of.as_of_at)::date as as_of_date
    from tenants
    cross join as_of

),

final as (

    select
        tenant_id,
        time_zone,
        as_of_date,
        timezone(time_zone, (as_of_date + 1)::timestamp) as as_of_cutoff_at,
        date_trunc('month', as_of_date)::date as current_month_start
    from dated

)

select * from final
