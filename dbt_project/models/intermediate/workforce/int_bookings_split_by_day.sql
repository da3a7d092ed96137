{#- One row per non-cancelled booking and tenant-local day its planned range overlaps (split at
    midnight), with the planned minutes inside that day. The booking's travel_minutes are counted
    once, on the day the booking starts; the booking counts as a finished job on the day it
    finished (finished_at, else planned_end) when its status is done. -#}
with bookings as (

    select * from {{ ref('stg_ops__bookings') }}
    where status <> 'cancelled'

),

tenants as (

    select tenant_id, time_zone from {{ ref('stg_ops__tenants') }}

),

booking_days as (

    select
        bookings.booking_id,
        bookings.tenant_id,
        bookings.technician_id,
        bookings.order_id,
        bookings.status,
        bookings.planned_start,
        bookings.planned_end,
        bookings.travel_minutes,
        tenants.time_zone,
        timezone(tenants.time_zone, bookings.planned_start)::date as start_date,
        timezone(tenants.time_zone, coalesce(bookings.finished_at, bookings.planned_end))::date as finish_date,
        unnest(generate_series(
            least(
                timezone(tenants.time_zone, bookings.planned_start)::date,
                timezone(tenants.time_zone, coalesce(bookings.finished_at, bookings.planned_end))::date
            ),
            greatest(
                timezone(tenants.time_zone, bookings.planned_end)::date,
                timezone(tenants.time_zone, coalesce(bookings.finished_at, bookings.planned_end))::date
            ),
            interval 1 day
        ))::date as work_date
    from bookings
    inner join tenants
        on bookings.tenant_id = tenants.tenant_id

),

clipped as (

    select
        *,
        greatest(planned_start, timezone(time_zone, work_date::timestamp)) as clipped_start,
        least(planned_end, timezone(time_zone, (work_date + 1)::timestamp)) as clipped_end
    from booking_days

),

final as (

    select
        booking_id,
        tenant_id,
        technician_id,
        order_id,
        status,
        work_date,
        round(greatest(date_diff('second', clipped_start, clipped_end), 0) / 60.0, 2)::decimal(12, 2)
            as planned_minutes,
        case when work_date = start_date then travel_minutes else 0 end as planned_travel_minutes,
        (status = 'done' and work_date = finish_date) as is_finished_on_day
    from clipped
    where clipped_end > clipped_start
        or work_date = start_date
        or work_date = finish_date

)

select * from final
