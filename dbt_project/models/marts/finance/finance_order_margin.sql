-- One row per order with at least one issued invoice line: net revenue, parts cost, labour cost, margin.

with

lines as (

    select * from {{ ref('fct_invoice_lines') }}
    where order_id is not null

),

labour as (

    select * from {{ ref('int_order_labour_costed') }}

),

orders as (

    select tenant_id, order_id, order_number, customer_id, assigned_technician_id
    from {{ ref('stg_ops__service_orders') }}

),

revenue as (

    select
        tenant_id,
        order_id,
        count(distinct invoice_id) as invoice_count,
        min(issued_date) as first_issued_date,
        sum(net_amount) as revenue_net,
        coalesce(sum(case when line_kind = 'part' then cost_amount end), 0) as parts_cost
    from lines
    group by 1, 2

),

final as (

    select
        revenue.order_id::bigint as order_id,
        revenue.tenant_id::bigint as tenant_id,
        orders.order_number::varchar as order_number,
        orders.customer_id::bigint as customer_id,
        orders.assigned_technician_id::bigint as technician_id,
        revenue.invoice_count::bigint as invoice_count,
        revenue.first_issued_date::date as first_issued_date,
        revenue.revenue_net::decimal(14, 2) as revenue_net,
        revenue.parts_cost::decimal(14, 2) as parts_cost,
        coalesce(labour.labour_hours, 0)::decimal(12, 3) as labour_hours,
        coalesce(labour.labour_cost, 0)::decimal(14, 2) as labour_cost,
        coalesce(labour.labour_cost_source, 'none')::varchar as labour_cost_source,
        (revenue.revenue_net - revenue.parts_cost - coalesce(labour.labour_cost, 0))::decimal(14, 2)
            as gross_margin,
        case
            when revenue.revenue_net <> 0
                then (revenue.revenue_net - revenue.parts_cost - coalesce(labour.labour_cost, 0))::double
                    / revenue.revenue_net::double
        end as margin_pct

    from revenue
    left join orders
        on revenue.tenant_id = orders.tenant_id
        and revenue.order_id = orders.order_id
    left join labour
        on revenue.tenant_id = labour.tenant_id
        and revenue.order_id = labour.order_id

)

select * from final
