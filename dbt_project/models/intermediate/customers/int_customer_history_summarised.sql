{#- One row per customer with any order or invoice: order counts and dates (service_orders.received_at),
    lifetime value (Σ invoices.total of invoices that count: status not draft/void) and ratings. -#}
with orders as (

    select * from {{ ref('stg_ops__service_orders') }}

),

order_summary as (

    select
        tenant_id,
        customer_id,
        count(*) as orders,
        count(*) filter (where completed_at is not null) as completed_orders,
        count(*) filter (where stage = 'cancelled') as cancelled_orders,
        min(coalesce(received_at, created_at)) as first_order_at,
        max(coalesce(received_at, created_at)) as last_order_at
    from orders
    group by tenant_id, customer_id

),

invoice_summary as (

    select
        tenant_id,
        customer_id,
        count(*) as invoices,
        sum(total) as lifetime_value
    from {{ ref('stg_ops__invoices') }}
    where status not in ('draft', 'void')
    group by tenant_id, customer_id

),

rating_summary as (

    select
        orders.tenant_id,
        orders.customer_id,
        count(*) as ratings,
        avg(ratings.score) as avg_rating
    from {{ ref('stg_ops__order_ratings') }} as ratings
    inner join orders
        on ratings.tenant_id = orders.tenant_id
        and ratings.order_id = orders.order_id
    group by orders.tenant_id, orders.customer_id

),

customer_keys as (

    select tenant_id, customer_id from order_summary
    union
    select tenant_id, customer_id from invoice_summary

),

final as (

    select
        customer_keys.tenant_id,
        customer_keys.customer_id,
        coalesce(order_summary.orders, 0) as orders,
        coalesce(order_summary.completed_orders, 0) as completed_orders,
        coalesce(order_summary.cancelled_orders, 0) as cancelled_orders,
        order_summary.first_order_at,
        order_summary.last_order_at,
        coalesce(invoice_summary.invoices, 0) as invoices,
        coalesce(invoice_summary.lifetime_value, 0)::decimal(14, 2) as lifetime_value,
        coalesce(rating_summary.ratings, 0) as ratings,
        rating_summary.avg_rating
    from customer_keys
    left join order_summary
        on customer_keys.tenant_id = order_summary.tenant_id
        and customer_keys.customer_id = order_summary.customer_id
    left join invoice_summary
        on customer_keys.tenant_id = invoice_summary.tenant_id
        and customer_keys.customer_id = invoice_summary.customer_id
    left join rating_summary
        on customer_keys.tenant_id = rating_summary.tenant_id
        and customer_keys.customer_id = rating_summary.customer_id

)

select * from final
