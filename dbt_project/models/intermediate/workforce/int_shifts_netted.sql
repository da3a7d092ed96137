{#- One row per shift: its length minus the breaks planned within it (shift_breaks.duration_minutes),
    on the shift's own date (shift_date, already a tenant-local date). -#}
with shifts as (

    select * from {{ ref('stg_ops__shifts') }}

),

breaks as (

    select
        tenant_id,
        shift_id,
        sum(duration_minutes) as break_minutes
    from {{ ref('stg_ops__shift_breaks') }}
    group by tenant_id, shift_id

),

final as (

    select
        shifts.shift_id,
        shifts.tenant_id,
        shifts.technician_id,
        shifts.shift_date,
        shifts.starts_at,
        shifts.ends_at,
        round(date_diff('second', shifts.starts_at, shifts.ends_at) / 60.0, 2)::decimal(12, 2)
            as gross_shift_minutes,
        coalesce(breaks.break_minutes, 0)::decimal(12, 2) as planned_break_minutes,
        greatest(
            round(date_diff('second', shifts.starts_at, shifts.ends_at) / 60.0, 2)
            - coalesce(breaks.break_minutes, 0),
            0
        )::decimal(12, 2) as net_shift_minutes
    from shifts
    left join breaks
        on shifts.tenant_id = breaks.tenant_id
        and shifts.shift_id = breaks.shift_id

)

select * from final
