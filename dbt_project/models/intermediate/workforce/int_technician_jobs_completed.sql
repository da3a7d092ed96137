{#- One row per completed service order with an assigned technician (the technician who gets the
    credit and the commission, as in the operational commission() service): the tenant-local month
    it was completed in, estimated vs actually recorded work minutes, invoiced labour revenue and the
    customer's rating.
    Labour revenue = net amount of the invoice lines whose kind is in var('commission_labour_kinds')
    (default ['labour']) on the order's invoices that count (status not draft/void). -#}
{%- set labour_kinds = var('commission_labour_kinds', ['labour']) -%}
with orders as (

    select * from {{ ref('stg_ops__service_orders') }}
    where completed_at is not null
        and assigned_technician_id is not null

),

tenants as (

    select tenant_id, time_zone from {{ ref('stg_ops__tenants') }}

),

work_minutes as (

    select
        tenant_id,
        order_id,
        technician_id,
        sum(date_diff('second', started_at, ended_at)) / 60.0 as worked_minutes
    from {{ ref('stg_ops__time_entries') }}
    where kind in ('on_site', 'workshop')
        and ended_at is not null
        and order_id is not null
    group by tenant_id, order_id, technician_id

),

labour as (

    select
        invoices.tenant_id,
        invoices.order_id,
        sum(invoice_lines.net_amount) as labour_revenue
    from {{ ref('stg_ops__invoices') }} as invoices
    inner join {{ ref('stg_ops__invoice_lines') }} as invoice_lines
        on invoices.tenant_id = invoice_lines.tenant_id
        and invoices.invoice_id = invoice_lines.invoice_id
    where invoices.status not in ('draft', 'void')
        and invoice_lines.kind in ({% for k in labour_kinds %}'{{ k }}'{{ ", " if not loop.last }}{% endfor %})
    group by invoices.tenant_id, invoices.order_id

),

ratings as (

    select
        tenant_id,
        order_id,
        avg(score) as rating_score
    from {{ ref('stg_ops__order_ratings') }}
    group by tenant_id, order_id

),

final as (

    select
        orders.tenant_id,
        orders.order_id,
        orders.assigned_technician_id as technician_id,
        orders.completed_at,
        date_trunc('month', timezone(tenants.time_zone, orders.completed_at))::date as completed_month,
        orders.estimated_minutes,
        round(work_minutes.worked_minutes, 2)::decimal(12, 2) as actual_minutes,
        coalesce(labour.labour_revenue, 0)::decimal(12, 2) as labour_revenue,
        ratings.rating_score
    from orders
    inner join tenants
        on orders.tenant_id = tenants.tenant_id
    left join work_minutes
        on orders.tenant_id = work_minutes.tenant_id
        and orders.order_id = work_minutes.order_id
        and orders.assigned_technician_id = work_minutes.technician_id
    left join labour
        on orders.tenant_id = labour.tenant_id
        and orders.order_id = labour.order_id
    left join ratings
        on orders.tenant_id = ratings.tenant_id
        and orders.order_id = ratings.order_id

)

select * from final
