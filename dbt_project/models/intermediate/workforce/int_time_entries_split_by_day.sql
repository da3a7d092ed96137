{#- One row per finished time entry and tenant-local day it touches: an entry that crosses midnight
    is split at midnight (tenant time zone) so each day gets only its own minutes.
    Open entries (ended_at is null, the technician is still clocked on) are left out until they end. -#}
with time_entries as (

    select * from {{ ref('stg_ops__time_entries') }}
    where ended_at is not null

),

tenants as (

    select tenant_id, time_zone from {{ ref('stg_ops__tenants') }}

),

entry_days as (

    select
        time_entries.time_entry_id,
        time_entries.tenant_id,
        time_entries.technician_id,
        time_entries.order_id,
        time_entries.booking_id,
        time_entries.kind,
        time_entries.started_at,
        time_entries.ended_at,
        tenants.time_zone,
        unnest(generate_series(
            timezone(tenants.time_zone, time_entries.started_at)::date,
            timezone(tenants.time_zone, time_entries.ended_at)::date,
            interval 1 day
        ))::date as work_date
    from time_entries
    inner join tenants
        on time_entries.tenant_id = tenants.tenant_id

),

clipped as (

    select
        *,
        greatest(started_at, timezone(time_zone, work_date::timestamp)) as clipped_start,
        least(ended_at, timezone(time_zone, (work_date + 1)::timestamp)) as clipped_end
    from entry_days

),

final as (

    select
        time_entry_id,
        tenant_id,
        technician_id,
        order_id,
        booking_id,
        kind,
        work_date,
        clipped_start,
        clipped_end,
        round(date_diff('second', clipped_start, clipped_end) / 60.0, 2)::decimal(12, 2) as minutes
    from clipped
    -- a zero-length piece (an entry ending exactly at midnight) carries no time
    where clipped_end > clipped_start
        or (started_at = ended_at and work_date = timezone(time_zone, started_at)::date)

)

select * from final
