-- One row per interval of int_sla_intervals with its length in business minutes of the policy's calendar:
-- the sum, over the calendar's working days, of the overlap of [start_at, end_at) with the day's
-- [open_at, close_at) (local opening hours, holidays skipped; see int_business_calendar_days).
-- Same arithmetic as ops_db/sla/calendar.py Calendar.seconds_between (0 when end <= start). A policy whose calendar
-- row is missing runs round the clock (Calendar.always), so its business minutes are wall-clock minutes.
with

intervals as (

    select * from {{ ref('int_sla_intervals') }}

),

calendars as (

    select tenant_id, calendar_id from {{ ref('stg_ops__business_calendars') }}

),

calendar_days as (

    select * from {{ ref('int_business_calendar_days') }}

),

day_overlaps as (

    select
        intervals.tenant_id,
        intervals.order_id,
        intervals.measure,
        sum(
            epoch(least(intervals.end_at, calendar_days.close_at))
            - epoch(greatest(intervals.start_at, calendar_days.open_at))
        ) as business_seconds
    from intervals
    inner join calendar_days
        on calendar_days.tenant_id = intervals.tenant_id
        and calendar_days.calendar_id = intervals.calendar_id
        and calendar_days.open_at < intervals.end_at
        and calendar_days.close_at > intervals.start_at
    group by intervals.tenant_id, intervals.order_id, intervals.measure

),

final as (

    select
        intervals.tenant_id,
        intervals.order_id,
        intervals.calendar_id,
        intervals.measure,
        intervals.start_at,
        intervals.end_at,
        intervals.is_open,
        (calendars.calendar_id is not null) as has_calendar,
        case
            when intervals.start_at is null or intervals.end_at is null then null
            when intervals.end_at <= intervals.start_at then 0.0
            when calendars.calendar_id is null
                then (epoch(intervals.end_at) - epoch(intervals.start_at)) / 60.0
            else coalesce(day_overlaps.business_seconds, 0.0) / 60.0
        end::double as business_minutes,
        case
            when intervals.start_at is null or intervals.end_at is null then null
            else greatest(epoch(intervals.end_at) - epoch(intervals.start_at), 0.0) / 60.0
        end::double as wall_minutes
    from intervals
    left join calendars
        on calendars.tenant_id = intervals.tenant_id
        and calendars.calendar_id = intervals.calendar_id
    left join day_overlaps
        on day_overlaps.tenant_id = intervals.tenant_id
        and day_overlaps.order_id = intervals.order_id
        and day_overlaps.measure = intervals.measure

)

select * from final
