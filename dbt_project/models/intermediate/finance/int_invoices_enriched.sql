-- One row per invoice (every status, drafts and voids included) with the tenant's time zone, local issue
-- day/month, the customer's segment and the order's assigned technician. `is_issued` marks the invoices finance
-- counts as invoiced: status not in ('draft', 'void').

with

invoices as (

    select * from {{ ref('stg_ops__invoices') }}

),

tenants as (

    select tenant_id, time_zone from {{ ref('stg_ops__tenants') }}

),

customers as (

    select tenant_id, customer_id, segment from {{ ref('stg_ops__customers') }}

),

orders as (

    select tenant_id, order_id, assigned_technician_id from {{ ref('stg_ops__service_orders') }}

),

final as (

    select
        invoices.invoice_id,
        invoices.tenant_id,
        invoices.invoice_number,
        invoices.order_id,
        invoices.customer_id,
        customers.segment as customer_segment,
        orders.assigned_technician_id,
        invoices.status,
        coalesce(invoices.status not in ('draft', 'void'), false) as is_issued,
        invoices.currency,
        tenants.time_zone,
        invoices.issued_at,
        timezone(tenants.time_zone, invoices.issued_at)::date as issued_date,
        date_trunc('month', timezone(tenants.time_zone, invoices.issued_at))::date as issued_month,
        invoices.due_on,
        invoices.subtotal,
        invoices.tax_total,
        invoices.total,
        invoices.written_off_at,
        date_trunc('month', timezone(tenants.time_zone, invoices.written_off_at))::date as written_off_month

    from invoices
    inner join tenants
        on invoices.tenant_id = tenants.tenant_id
    left join customers
        on invoices.tenant_id = customers.tenant_id
        and invoices.customer_id = customers.customer_id
    left join orders
        on invoices.tenant_id = orders.tenant_id
        and invoices.order_id = orders.order_id

)

select * from final
