-- One row per equipment model (tenant x model_id): fleet size, failures, MTBF, MTTR, fix quality and warranty.
with

models as (

    select * from {{ ref('stg_ops__equipment_models') }}

),

manufacturers as (

    select * from {{ ref('stg_ops__manufacturers') }}

),

as_of as (

    select as_of_at from {{ ref('int_ops_as_of') }}

),

equipment as (

    select
        equipment.tenant_id,
        equipment.model_id,
        count(*) as equipment_count,
        -- days each device has been in service (purchase date, else registration) up to the data's as-of date
        sum(greatest(
            as_of.as_of_at::date - coalesce(equipment.purchase_date, equipment.created_at::date), 0
        )) as observed_operating_days
    from {{ ref('stg_ops__equipment') }} as equipment
    cross join as_of
    group by equipment.tenant_id, equipment.model_id

),

repairs as (

    select * from {{ ref('fct_repairs') }}

),

repair_stats as (

    select
        tenant_id,
        model_id,
        count(*) as failures,
        count(*) filter (where is_completed) as repairs_count,
        avg(days_since_previous_failure) as mtbf_days,
        count(days_since_previous_failure) as failure_intervals,
        avg(repair_hours) filter (where is_completed) as mttr_hours,
        count(*) filter (where is_completed and is_repeat_window_closed) as repairs_with_closed_window,
        count(*) filter (where is_completed and is_repeat_window_closed and is_first_time_fix)
            as first_time_fixes,
        count(*) filter (where is_completed and is_repeat_window_closed and is_followed_by_repeat_30d)
            as repairs_followed_by_repeat,
        count(*) filter (where is_completed and is_warranty_repair) as warranty_repairs,
        count(*) filter (where is_completed and is_warranty_repair and warranty_claims > 0)
            as warranty_repairs_claimed,
        sum(repair_cost) filter (where is_completed and is_warranty_repair) as warranty_repair_cost
    from repairs
    group by tenant_id, model_id

),

final as (

    select
        models.tenant_id::bigint as tenant_id,
        models.model_id::bigint as model_id,
        models.name::varchar as model_name,
        models.manufacturer_id::bigint as manufacturer_id,
        manufacturers.name::varchar as manufacturer_name,
        models.category::varchar as category,
        coalesce(equipment.equipment_count, 0)::bigint as equipment_count,
        coalesce(equipment.observed_operating_days, 0)::bigint as observed_operating_days,
        coalesce(repair_stats.failures, 0)::bigint as failures,
        coalesce(repair_stats.repairs_count, 0)::bigint as repairs_count,
        coalesce(repair_stats.failure_intervals, 0)::bigint as failure_intervals,
        round(repair_stats.mtbf_days, 2)::decimal(12, 2) as mtbf_days,
        case when repair_stats.failures > 0
            then round(equipment.observed_operating_days / repair_stats.failures, 2)
        end::decimal(14, 2) as operating_days_per_failure,
        round(repair_stats.mttr_hours, 2)::decimal(12, 2) as mttr_hours,
        coalesce(repair_stats.repairs_with_closed_window, 0)::bigint as repairs_with_closed_window,
        case when repair_stats.repairs_with_closed_window > 0
            then round(repair_stats.first_time_fixes / repair_stats.repairs_with_closed_window, 4)
        end::decimal(6, 4) as first_time_fix_rate,
        case when repair_stats.repairs_with_closed_window > 0
            then round(repair_stats.repairs_followed_by_repeat / repair_stats.repairs_with_closed_window, 4)
        end::decimal(6, 4) as repeat_failure_rate_30d,
        coalesce(repair_stats.warranty_repairs, 0)::bigint as warranty_repairs,
        case when repair_stats.warranty_repairs > 0
            then round(repair_stats.warranty_repairs_claimed / repair_stats.warranty_repairs, 4)
        end::decimal(6, 4) as warranty_claim_rate,
        coalesce(repair_stats.warranty_repair_cost, 0)::decimal(14, 2) as warranty_repair_cost
    from models
    left join manufacturers
        on manufacturers.tenant_id = models.tenant_id
        and manufacturers.manufacturer_id = models.manufacturer_id
    left join equipment
        on equipment.tenant_id = models.tenant_id
        and equipment.model_id = models.model_id
    left join repair_stats
        on repair_stats.tenant_id = models.tenant_id
        and repair_stats.model_id = models.model_id

)

select * from final
