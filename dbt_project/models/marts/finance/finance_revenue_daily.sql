-- Issued invoice lines summed per tenant x local issue day x service category x technician x customer segment.
-- week_start / month_start are derived from day, so weekly or monthly figures are a plain group by.

with

lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

final as (

    select
        tenant_id::bigint as tenant_id,
        issued_date::date as day,
        date_trunc('week', issued_date)::date as week_start,
        date_trunc('month', issued_date)::date as month_start,
        service_category::varchar as service_category,
        technician_id::bigint as technician_id,
        customer_segment::varchar as customer_segment,
        count(*)::bigint as line_count,
        sum(net_amount)::decimal(14, 2) as net_revenue,
        sum(tax_amount)::decimal(14, 2) as tax_amount,
        sum(total_amount)::decimal(14, 2) as gross_revenue,
        coalesce(sum(cost_amount), 0)::decimal(14, 2) as cost_amount,
        (sum(net_amount) - coalesce(sum(cost_amount), 0))::decimal(14, 2) as margin_amount

    from lines
    group by 1, 2, 3, 4, 5, 6, 7

)

select * from final
