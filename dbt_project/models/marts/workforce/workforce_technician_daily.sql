{#- One row per tenant × technician × tenant-local day on which the technician had a shift, a
    booking or recorded time. -#}
with shifts as (

    select
        tenant_id,
        technician_id,
        shift_date as work_date,
        sum(net_shift_minutes) as shift_minutes
    from {{ ref('int_shifts_netted') }}
    group by tenant_id, technician_id, shift_date

),

bookings as (

    select
        tenant_id,
        technician_id,
        work_date,
        sum(planned_minutes) as planned_minutes,
        sum(planned_travel_minutes) as planned_travel_minutes,
        count(*) filter (where planned_minutes > 0) as bookings_planned,
        count(*) filter (where is_finished_on_day) as jobs_done
    from {{ ref('int_bookings_split_by_day') }}
    group by tenant_id, technician_id, work_date

),

time_recorded as (

    select
        tenant_id,
        technician_id,
        work_date,
        sum(minutes) filter (where kind = 'on_site') as on_site_minutes,
        sum(minutes) filter (where kind = 'workshop') as workshop_minutes,
        sum(minutes) filter (where kind = 'travel') as travel_minutes,
        sum(minutes) filter (where kind = 'break') as break_minutes,
        sum(minutes) filter (where kind = 'shift') as clocked_minutes
    from {{ ref('int_time_entries_split_by_day') }}
    group by tenant_id, technician_id, work_date

),

technician_days as (

    select tenant_id, technician_id, work_date from shifts
    union
    select tenant_id, technician_id, work_date from bookings
    union
    select tenant_id, technician_id, work_date from time_recorded

),

joined as (

    select
        technician_days.tenant_id,
        technician_days.technician_id,
        technician_days.work_date,
        coalesce(shifts.shift_minutes, 0)::decimal(12, 2) as shift_minutes,
        coalesce(bookings.planned_minutes, 0)::decimal(12, 2) as planned_minutes,
        coalesce(bookings.planned_travel_minutes, 0)::integer as planned_travel_minutes,
        coalesce(bookings.bookings_planned, 0)::integer as bookings_planned,
        coalesce(bookings.jobs_done, 0)::integer as jobs_done,
        coalesce(time_recorded.on_site_minutes, 0)::decimal(12, 2) as on_site_minutes,
        coalesce(time_recorded.workshop_minutes, 0)::decimal(12, 2) as workshop_minutes,
        coalesce(time_recorded.travel_minutes, 0)::decimal(12, 2) as travel_minutes,
        coalesce(time_recorded.break_minutes, 0)::decimal(12, 2) as break_minutes,
        coalesce(time_recorded.clocked_minutes, 0)::decimal(12, 2) as clocked_minutes
    from technician_days
    left join shifts
        on technician_days.tenant_id = shifts.tenant_id
        and technician_days.technician_id = shifts.technician_id
        and technician_days.work_date = shifts.work_date
    left join bookings
        on technician_days.tenant_id = bookings.tenant_id
        and technician_days.technician_id = bookings.technician_id
        and technician_days.work_date = bookings.work_date
    left join time_recorded
        on technician_days.tenant_id = time_recorded.tenant_id
        and technician_days.technician_id = time_recorded.technician_id
        and technician_days.work_date = time_recorded.work_date

),

final as (

    select
        tenant_id,
        technician_id,
        work_date,
        shift_minutes,
        planned_minutes,
        planned_travel_minutes,
        bookings_planned,
        on_site_minutes,
        workshop_minutes,
        (on_site_minutes + workshop_minutes)::decimal(12, 2) as worked_minutes,
        travel_minutes,
        break_minutes,
        clocked_minutes,
        greatest(shift_minutes - on_site_minutes - workshop_minutes - travel_minutes, 0)::decimal(12, 2)
            as idle_minutes,
        greatest(on_site_minutes + workshop_minutes + travel_minutes - shift_minutes, 0)::decimal(12, 2)
            as overtime_minutes,
        case
            when shift_minutes > 0
                then round(100.0 * (on_site_minutes + workshop_minutes) / shift_minutes, 2)::decimal(9, 2)
        end as utilisation_pct,
        jobs_done
    from joined

)

select * from final
