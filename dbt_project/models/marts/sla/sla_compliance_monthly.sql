-- One row per tenant x month (tenant time zone, by received_at) x priority x customer tier.
with

orders as (

    select * from {{ ref('sla_order_compliance') }}

),

aggregated as (

    select
        tenant_id,
        received_month as month,
        priority,
        customer_tier,
        count(*) as orders,
        count(*) filter (where is_cancelled) as cancelled_orders,
        count(*) filter (where resolved_at is not null) as resolved_orders,
        count(*) filter (where resolution_outcome = 'met') as met,
        count(*) filter (where resolution_outcome in ('breached', 'open_breached')) as breached,
        count(*) filter (where resolution_outcome = 'open_breached') as open_breached,
        count(*) filter (where response_outcome = 'met') as response_met,
        count(*) filter (where response_outcome in ('breached', 'open_breached')) as response_breached,
        avg(resolution_business_minutes) as avg_resolution_business_minutes,
        quantile_cont(resolution_business_minutes, 0.9) as p90_resolution_business_minutes
    from orders
    group by tenant_id, received_month, priority, customer_tier

),

final as (

    select
        tenant_id::bigint as tenant_id,
        month::date as month,
        priority::varchar as priority,
        customer_tier::varchar as customer_tier,
        orders::bigint as orders,
        cancelled_orders::bigint as cancelled_orders,
        resolved_orders::bigint as resolved_orders,
        met::bigint as met,
        breached::bigint as breached,
        open_breached::bigint as open_breached,
        case when met + breached > 0
            then round(100.0 * met / (met + breached), 2) end::decimal(5, 2) as compliance_pct,
        response_met::bigint as response_met,
        response_breached::bigint as response_breached,
        case when response_met + response_breached > 0
            then round(100.0 * response_met / (response_met + response_breached), 2)
        end::decimal(5, 2) as response_compliance_pct,
        round(avg_resolution_business_minutes, 2)::decimal(12, 2) as avg_resolution_business_minutes,
        round(p90_resolution_business_minutes, 2)::decimal(12, 2) as p90_resolution_business_minutes
    from aggregated

)

select * from final
