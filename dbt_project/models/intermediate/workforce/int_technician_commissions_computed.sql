{#- One row per tenant × technician × tenant-local month with at least one completed job: the
    commission earned under the rule in force that month, mirroring ops_db.workforce.service.commission:
      * rule = valid for the month (valid_from <= last day and (valid_to is null or valid_to >= first day));
        a rule for the technician wins over a tenant-wide rule (technician_id null); then the latest valid_from.
      * base   = base_per_job × jobs
      * share  = round(labour_revenue × labour_pct / 100, 2) in exact DECIMAL (half away from zero = half-up)
      * bonus  = bonus_amount when bonus_jobs_threshold is set and jobs >= bonus_jobs_threshold
      * total  = base + share + bonus; all zero when no rule applies. -#}
with jobs as (

    select
        tenant_id,
        technician_id,
        completed_month,
        count(*) as jobs,
        sum(labour_revenue) as labour_revenue
    from {{ ref('int_technician_jobs_completed') }}
    group by tenant_id, technician_id, completed_month

),

rules as (

    select * from {{ ref('stg_ops__commission_rules') }}

),

candidate_rules as (

    select
        jobs.tenant_id,
        jobs.technician_id,
        jobs.completed_month,
        rules.commission_rule_id,
        rules.base_per_job,
        rules.labour_pct,
        rules.bonus_jobs_threshold,
        rules.bonus_amount,
        row_number() over (
            partition by jobs.tenant_id, jobs.technician_id, jobs.completed_month
            order by (rules.technician_id is null), rules.valid_from desc, rules.commission_rule_id desc
        ) as rule_rank
    from jobs
    inner join rules
        on jobs.tenant_id = rules.tenant_id
        and (rules.technician_id = jobs.technician_id or rules.technician_id is null)
        and rules.valid_from <= last_day(jobs.completed_month)
        and (rules.valid_to is null or rules.valid_to >= jobs.completed_month)

),

applied as (

    select
        jobs.tenant_id,
        jobs.technician_id,
        jobs.completed_month,
        jobs.jobs,
        jobs.labour_revenue,
        candidate_rules.commission_rule_id,
        coalesce(candidate_rules.base_per_job * jobs.jobs, 0) as base_amount,
        -- multiply by 0.01 (a DECIMAL) rather than divide by 100: DuckDB divides decimals as DOUBLE,
        -- which would round 1.005 down to 1.00
        coalesce(round(jobs.labour_revenue * candidate_rules.labour_pct * 0.01, 2), 0) as labour_share_amount,
        case
            when candidate_rules.bonus_jobs_threshold is not null
                and jobs.jobs >= candidate_rules.bonus_jobs_threshold
                then candidate_rules.bonus_amount
            else 0
        end as bonus_amount
    from jobs
    left join candidate_rules
        on jobs.tenant_id = candidate_rules.tenant_id
        and jobs.technician_id = candidate_rules.technician_id
        and jobs.completed_month = candidate_rules.completed_month
        and candidate_rules.rule_rank = 1

),

final as (

    select
        tenant_id,
        technician_id,
        completed_month as month,
        jobs,
        labour_revenue::decimal(12, 2) as labour_revenue,
        commission_rule_id,
        base_amount::decimal(12, 2) as commission_base_amount,
        labour_share_amount::decimal(12, 2) as commission_labour_share_amount,
        bonus_amount::decimal(12, 2) as commission_bonus_amount,
        (base_amount + labour_share_amount + bonus_amount)::decimal(12, 2) as commission_total_amount
    from applied

)

select * from final
