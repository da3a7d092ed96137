{#- One row per customer: profile, tier, order history, lifetime value, rating and churn risk.
    days_since_last_order counts tenant-local days from the last order to the as-of date
    (var as_of, else today). churn_risk: 'active' ≤ var churn_at_risk_days (180) days,
    'at_risk' up to var churn_churned_days (365), 'churned' beyond; 'never_ordered' without orders. -#}
{%- set as_of = "cast('" ~ var('as_of') ~ "' as timestamptz)" if var('as_of', none) else "(select as_of_at from " ~ ref('int_ops_as_of') ~ ")" -%}
{%- set at_risk_days = var('churn_at_risk_days', 180) -%}
{%- set churned_days = var('churn_churned_days', 365) -%}
with customers as (

    select * from {{ ref('stg_ops__customers') }}

),

tiers as (

    select * from {{ ref('stg_ops__customer_tiers') }}

),

history as (

    select * from {{ ref('int_customer_history_summarised') }}

),

tenants as (

    select tenant_id, time_zone from {{ ref('stg_ops__tenants') }}

),

joined as (

    select
        customers.customer_id,
        customers.tenant_id,
        customers.name,
        customers.kind,
        customers.segment,
        customers.parent_id,
        customers.email,
        customers.phone,
        customers.is_active,
        customers.internal_rating,
        customers.tier_id,
        tiers.code as tier_code,
        tiers.name as tier_name,
        customers.created_at,
        history.first_order_at,
        history.last_order_at,
        coalesce(history.orders, 0) as orders,
        coalesce(history.completed_orders, 0) as completed_orders,
        coalesce(history.cancelled_orders, 0) as cancelled_orders,
        coalesce(history.invoices, 0) as invoices,
        coalesce(history.lifetime_value, 0) as lifetime_value,
        coalesce(history.ratings, 0) as ratings,
        history.avg_rating,
        timezone(tenants.time_zone, {{ as_of }})::date
            - timezone(tenants.time_zone, history.last_order_at)::date as days_since_last_order
    from customers
    inner join tenants
        on customers.tenant_id = tenants.tenant_id
    left join tiers
        on customers.tenant_id = tiers.tenant_id
        and customers.tier_id = tiers.tier_id
    left join history
        on customers.tenant_id = history.tenant_id
        and customers.customer_id = history.customer_id

),

final as (

    select
        customer_id,
        tenant_id,
        name,
        kind,
        segment,
        parent_id,
        email,
        phone,
        is_active,
        internal_rating,
        tier_id,
        tier_code,
        tier_name,
        created_at,
        first_order_at,
        last_order_at,
        orders::integer as orders,
        completed_orders::integer as completed_orders,
        cancelled_orders::integer as cancelled_orders,
        invoices::integer as invoices,
        lifetime_value::decimal(14, 2) as lifetime_value,
        ratings::integer as ratings,
        round(avg_rating, 2)::decimal(4, 2) as avg_rating,
        orders > 1 as is_repeat,
        days_since_last_order::integer as days_since_last_order,
        case
            when last_order_at is null then 'never_ordered'
            when days_since_last_order <= {{ at_risk_days }} then 'active'
            when days_since_last_order <= {{ churned_days }} then 'at_risk'
            else 'churned'
        end as churn_risk
    from joined

)

select * from final
