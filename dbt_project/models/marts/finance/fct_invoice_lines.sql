with

invoices as (

    select * from {{ ref('int_invoices_enriched') }}
    where is_issued

),

lines as (

    select * from {{ ref('int_invoice_lines_costed') }}

),

final as (

    select
        lines.invoice_line_id::bigint as invoice_line_id,
        lines.tenant_id::bigint as tenant_id,
        lines.invoice_id::bigint as invoice_id,
        invoices.invoice_number::varchar as invoice_number,
        lines.line_no::integer as line_no,
        invoices.order_id::bigint as order_id,
        lines.order_line_id::bigint as order_line_id,
        invoices.customer_id::bigint as customer_id,
        coalesce(lines.order_line_technician_id, invoices.assigned_technician_id)::bigint as technician_id,
        lines.line_kind::varchar as line_kind,
        lines.service_category::varchar as service_category,
        invoices.customer_segment::varchar as customer_segment,
        lines.description::varchar as description,
        lines.quantity::decimal(12, 3) as quantity,
        lines.unit_price::decimal(14, 2) as unit_price,
        lines.tax_rate_pct::decimal(6, 3) as tax_rate_pct,
        lines.net_amount::decimal(14, 2) as net_amount,
        lines.tax_amount::decimal(14, 2) as tax_amount,
        lines.total_amount::decimal(14, 2) as total_amount,
        lines.unit_cost::decimal(14, 2) as unit_cost,
        lines.cost_amount::decimal(14, 2) as cost_amount,
        invoices.status::varchar as invoice_status,
        invoices.currency::varchar as currency,
        invoices.issued_at::timestamptz as issued_at,
        invoices.issued_date::date as issued_date

    from lines
    inner join invoices
        on lines.tenant_id = invoices.tenant_id
        and lines.invoice_id = invoices.invoice_id

)

select * from final
