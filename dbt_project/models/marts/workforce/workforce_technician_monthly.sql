{#- One row per tenant × technician × tenant-local month in which the technician had any daily
    activity (shift, booking, recorded time) or completed a job. -#}
with daily as (

    select
        tenant_id,
        technician_id,
        date_trunc('month', work_date)::date as month,
        count(*) filter (where shift_minutes > 0) as shift_days,
        sum(shift_minutes) as shift_minutes,
        sum(planned_minutes) as planned_minutes,
        sum(worked_minutes) as worked_minutes,
        sum(travel_minutes) as travel_minutes,
        sum(idle_minutes) as idle_minutes,
        sum(overtime_minutes) as overtime_minutes,
        sum(jobs_done) as bookings_done
    from {{ ref('workforce_technician_daily') }}
    group by all

),

jobs as (

    select
        tenant_id,
        technician_id,
        completed_month as month,
        count(*) as jobs,
        avg(actual_minutes) as avg_actual_job_minutes,
        avg(estimated_minutes) as avg_estimated_job_minutes,
        sum(actual_minutes) as actual_job_minutes,
        sum(estimated_minutes) filter (where actual_minutes is not null) as estimated_minutes_of_timed_jobs,
        count(rating_score) as ratings_count,
        avg(rating_score) as avg_rating
    from {{ ref('int_technician_jobs_completed') }}
    group by all

),

commissions as (

    select * from {{ ref('int_technician_commissions_computed') }}

),

technician_months as (

    select tenant_id, technician_id, month from daily
    union
    select tenant_id, technician_id, month from jobs

),

final as (

    select
        technician_months.tenant_id,
        technician_months.technician_id,
        technician_months.month,
        coalesce(jobs.jobs, 0)::integer as jobs,
        coalesce(daily.bookings_done, 0)::integer as bookings_done,
        round(jobs.avg_actual_job_minutes, 2)::decimal(12, 2) as avg_actual_job_minutes,
        round(jobs.avg_estimated_job_minutes, 2)::decimal(12, 2) as avg_estimated_job_minutes,
        case
            when jobs.estimated_minutes_of_timed_jobs > 0
                then round(jobs.actual_job_minutes / jobs.estimated_minutes_of_timed_jobs, 4)::decimal(9, 4)
        end as actual_to_estimated_ratio,
        coalesce(jobs.ratings_count, 0)::integer as ratings_count,
        round(jobs.avg_rating, 2)::decimal(4, 2) as avg_rating,
        coalesce(daily.shift_days, 0)::integer as shift_days,
        coalesce(daily.shift_minutes, 0)::decimal(12, 2) as shift_minutes,
        coalesce(daily.planned_minutes, 0)::decimal(12, 2) as planned_minutes,
        coalesce(daily.worked_minutes, 0)::decimal(12, 2) as worked_minutes,
        coalesce(daily.travel_minutes, 0)::decimal(12, 2) as travel_minutes,
        coalesce(daily.idle_minutes, 0)::decimal(12, 2) as idle_minutes,
        coalesce(daily.overtime_minutes, 0)::decimal(12, 2) as overtime_minutes,
        case
            when daily.shift_minutes > 0
                then round(100.0 * daily.worked_minutes / daily.shift_minutes, 2)::decimal(9, 2)
        end as utilisation_pct,
        coalesce(commissions.labour_revenue, 0)::decimal(12, 2) as labour_revenue,
        commissions.commission_rule_id,
        coalesce(commissions.commission_base_amount, 0)::decimal(12, 2) as commission_base_amount,
        coalesce(commissions.commission_labour_share_amount, 0)::decimal(12, 2) as commission_labour_share_amount,
        coalesce(commissions.commission_bonus_amount, 0)::decimal(12, 2) as commission_bonus_amount,
        coalesce(commissions.commission_total_amount, 0)::decimal(12, 2) as commission_total_amount
    from technician_months
    left join daily
        on technician_months.tenant_id = daily.tenant_id
        and technician_months.technician_id = daily.technician_id
        and technician_months.month = daily.month
    left join jobs
        on technician_months.tenant_id = jobs.tenant_id
        and technician_months.technician_id = jobs.technician_id
        and technician_months.month = jobs.month
    left join commissions
        on technician_months.tenant_id = commissions.tenant_id
        and technician_months.technician_id = commissions.technician_id
        and technician_months.month = commissions.month

)

select * from final
