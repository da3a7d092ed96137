-- One row per business calendar and working day: the day's opening window as UTC instants.
-- Same convention as ops_db/sla/calendar.py (Calendar.from_row / _windows):
--   * weekly_hours is {"0": ["08:00", "18:00"], ...} with key "0" = Monday ... "6" = Sunday
--     (Python date.weekday()); DuckDB isodow() is 1 = Monday ... 7 = Sunday, hence isodow - 1.
--   * a missing, null or empty span means closed that weekday; dates in `holidays` are closed;
--   * open/close are local wall times in the calendar's time zone (DST handled by timezone()),
--     and a day counts only when close > open.
-- Dates cover the data (first order/clock minus a day, to the latest due/stop/as-of plus a day), so any
-- interval measured by the SLA models finds its days here.
with

calendars as (

    select * from {{ ref('stg_ops__business_calendars') }}

),

orders as (

    select received_at, completed_at, closed_at, cancelled_at from {{ ref('stg_ops__service_orders') }}

),

clocks as (

    select started_at, due_at, stopped_at from {{ ref('stg_ops__sla_clocks') }}

),

as_of as (

    select as_of_at from {{ ref('int_ops_as_of') }}

),

bounds as (

    select
        (least(
            (select min(received_at) from orders),
            (select min(started_at) from clocks)
        )::date - 1) as first_day,
        (greatest(
            (select max(greatest(received_at, completed_at, closed_at, cancelled_at)) from orders),
            (select max(greatest(started_at, due_at, stopped_at)) from clocks),
            (select max(as_of_at) from as_of)
        )::date + 1) as last_day

),

calendar_dates as (

    select
        calendars.tenant_id,
        calendars.calendar_id,
        calendars.time_zone,
        calendars.weekly_hours,
        coalesce(calendars.holidays, []::date[]) as holidays,
        unnest(generate_series(bounds.first_day, bounds.last_day, interval 1 day))::date as calendar_date
    from calendars
    cross join bounds
    where bounds.first_day is not null
      and bounds.last_day is not null

),

weekday_hours as (

    select
        *,
        -- Monday = "0" (Python weekday), DuckDB isodow Monday = 1
        (isodow(calendar_date) - 1)::varchar as weekday_key,
        json_extract_string(weekly_hours, '$."' || (isodow(calendar_date) - 1)::varchar || '"[0]') as open_text,
        json_extract_string(weekly_hours, '$."' || (isodow(calendar_date) - 1)::varchar || '"[1]') as close_text
    from calendar_dates

),

windows as (

    select
        tenant_id,
        calendar_id,
        calendar_date,
        weekday_key::integer as weekday,
        time_zone,
        open_text::time as open_local,
        close_text::time as close_local,
        timezone(time_zone, calendar_date + open_text::time) as open_at,
        timezone(time_zone, calendar_date + close_text::time) as close_at
    from weekday_hours
    where open_text is not null
      and close_text is not null
      and not list_contains(holidays, calendar_date)

),

final as (

    select
        tenant_id,
        calendar_id,
        calendar_date,
        weekday,
        time_zone,
        open_local,
        close_local,
        open_at,
        close_at,
        (epoch(close_at) - epoch(open_at)) / 60.0 as open_minutes
    from windows
    where close_at > open_at

)

select * from final
