-- One row per tenant x equipment model x fault type x month (tenant time zone, by received_at) with failures.
with

repairs as (

    select * from {{ ref('fct_repairs') }}

),

final as (

    select
        tenant_id::bigint as tenant_id,
        model_id::bigint as model_id,
        coalesce(fault_type, 'unknown')::varchar as fault_type,
        received_month::date as month,
        count(*)::bigint as failure_count,
        count(*) filter (where is_completed)::bigint as completed_repairs,
        count(*) filter (where is_repeat_within_30d)::bigint as repeat_failures_30d
    from repairs
    group by tenant_id, model_id, coalesce(fault_type, 'unknown'), received_month

)

select * from final
