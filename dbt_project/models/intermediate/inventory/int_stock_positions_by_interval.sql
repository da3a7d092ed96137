{#- End-of-day stock positions as intervals, for time-weighted averages without a day spine:
    one row per tenant × location × part × tenant-local day with movements, holding the end-of-day
    quantity from that day (valid_from_date) until the day before the next movement day
    (valid_to_date; the as-of date for the latest one). Movements dated after the as-of date are ignored.
    As-of = var('as_of') (a timestamp) or the current time. -#}
{%- set as_of = "cast('" ~ var('as_of') ~ "' as timestamptz)" if var('as_of', none) else "(select as_of_at from " ~ ref('int_ops_as_of') ~ ")" -%}
with tenants as (

    select
        tenant_id,
        timezone(time_zone, {{ as_of }})::date as as_of_date
    from {{ ref('stg_ops__tenants') }}

),

daily_deltas as (

    select
        movements.tenant_id,
        movements.location_id,
        movements.part_id,
        movements.movement_date,
        sum(movements.quantity_delta) as quantity_delta
    from {{ ref('int_stock_movements_accumulated') }} as movements
    inner join tenants
        on movements.tenant_id = tenants.tenant_id
    where movements.movement_date <= tenants.as_of_date
    group by all

),

positions as (

    select
        daily_deltas.tenant_id,
        daily_deltas.location_id,
        daily_deltas.part_id,
        daily_deltas.movement_date as valid_from_date,
        coalesce(
            lead(daily_deltas.movement_date) over (
                partition by daily_deltas.tenant_id, daily_deltas.location_id, daily_deltas.part_id
                order by daily_deltas.movement_date
            ) - 1,
            tenants.as_of_date
        ) as valid_to_date,
        sum(daily_deltas.quantity_delta) over (
            partition by daily_deltas.tenant_id, daily_deltas.location_id, daily_deltas.part_id
            order by daily_deltas.movement_date
            rows between unbounded preceding and current row
        ) as end_of_day_quantity
    from daily_deltas
    inner join tenants
        on daily_deltas.tenant_id = tenants.tenant_id

),

final as (

    select
        tenant_id,
        location_id,
        part_id,
        valid_from_date,
        valid_to_date,
        end_of_day_quantity::decimal(14, 3) as end_of_day_quantity
    from positions

)

select * from final
