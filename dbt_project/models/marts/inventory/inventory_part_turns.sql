{#- One row per tenant × part: consumption over the trailing window (var turns_window_days, default
    365 days, ending on the tenant-local as-of date, but starting no earlier than the first ledger
    movement of the tenant), the time-weighted average inventory over the same window, turns and days
    of supply. Approximations: inventory is valued at the part's current unit_cost (no historic
    cost layers); the average is the mean of end-of-day positions rebuilt from the movement ledger
    (all locations together); COGS is the ledger cost of 'consume' movements (quantity × the movement's
    unit_cost). As-of = var('as_of') or the current time. -#}
{%- set as_of = "cast('" ~ var('as_of') ~ "' as timestamptz)" if var('as_of', none) else "(select as_of_at from " ~ ref('int_ops_as_of') ~ ")" -%}
{%- set window_days = var('turns_window_days', 365) -%}
with tenant_windows as (

    select
        tenants.tenant_id,
        timezone(tenants.time_zone, {{ as_of }})::date as window_end_date,
        greatest(
            timezone(tenants.time_zone, {{ as_of }})::date - {{ window_days - 1 }},
            coalesce(
                min(timezone(tenants.time_zone, movements.occurred_at))::date,
                timezone(tenants.time_zone, {{ as_of }})::date - {{ window_days - 1 }}
            )
        ) as window_start_date
    from {{ ref('stg_ops__tenants') }} as tenants
    left join {{ ref('int_stock_movements_accumulated') }} as movements
        on tenants.tenant_id = movements.tenant_id
    group by tenants.tenant_id, tenants.time_zone

),

consumption as (

    select
        movements.tenant_id,
        movements.part_id,
        -sum(movements.quantity_delta) as consumed_quantity,
        -sum(movements.quantity_delta * movements.unit_cost) as consumed_cost
    from {{ ref('int_stock_movements_accumulated') }} as movements
    inner join tenant_windows
        on movements.tenant_id = tenant_windows.tenant_id
    where movements.reason = 'consume'
        and movements.movement_date between tenant_windows.window_start_date and tenant_windows.window_end_date
    group by all

),

average_positions as (

    -- each end-of-day position weighted by the days it held inside the window
    select
        positions.tenant_id,
        positions.part_id,
        sum(
            positions.end_of_day_quantity
            * greatest(
                least(positions.valid_to_date, tenant_windows.window_end_date)
                - greatest(positions.valid_from_date, tenant_windows.window_start_date) + 1,
                0
            )
        ) as quantity_days
    from {{ ref('int_stock_positions_by_interval') }} as positions
    inner join tenant_windows
        on positions.tenant_id = tenant_windows.tenant_id
    group by all

),

on_hand as (

    select
        tenant_id,
        part_id,
        sum(quantity) as on_hand_quantity,
        sum(quantity - reserved) as available_quantity
    from {{ ref('stg_ops__stock_levels') }}
    group by all

),

parts as (

    select * from {{ ref('stg_ops__parts') }}

),

measures as (

    select
        parts.tenant_id,
        parts.part_id,
        parts.sku,
        parts.name as part_name,
        parts.unit_cost,
        tenant_windows.window_start_date,
        tenant_windows.window_end_date,
        (tenant_windows.window_end_date - tenant_windows.window_start_date + 1) as window_days,
        coalesce(consumption.consumed_quantity, 0) as consumed_quantity,
        coalesce(consumption.consumed_cost, 0) as consumed_cost,
        coalesce(average_positions.quantity_days, 0)
            / (tenant_windows.window_end_date - tenant_windows.window_start_date + 1) as avg_quantity,
        coalesce(on_hand.on_hand_quantity, 0) as on_hand_quantity,
        coalesce(on_hand.available_quantity, 0) as available_quantity
    from parts
    inner join tenant_windows
        on parts.tenant_id = tenant_windows.tenant_id
    left join consumption
        on parts.tenant_id = consumption.tenant_id
        and parts.part_id = consumption.part_id
    left join average_positions
        on parts.tenant_id = average_positions.tenant_id
        and parts.part_id = average_positions.part_id
    left join on_hand
        on parts.tenant_id = on_hand.tenant_id
        and parts.part_id = on_hand.part_id

),

final as (

    select
        tenant_id,
        part_id,
        sku,
        part_name,
        window_start_date,
        window_end_date,
        window_days::integer as window_days,
        consumed_quantity::decimal(14, 3) as consumed_quantity,
        round(consumed_cost, 2)::decimal(14, 2) as consumed_cost,
        round(avg_quantity, 3)::decimal(14, 3) as avg_inventory_quantity,
        round(avg_quantity * unit_cost, 2)::decimal(14, 2) as avg_inventory_value,
        case
            when avg_quantity * unit_cost > 0
                then round(consumed_cost / (avg_quantity * unit_cost), 4)::double
        end as inventory_turns,
        case
            when avg_quantity * unit_cost > 0
                then round(consumed_cost / (avg_quantity * unit_cost) * 365.0 / window_days, 4)::double
        end as annualised_inventory_turns,
        round(consumed_quantity / window_days, 4)::double as avg_daily_consumption,
        on_hand_quantity::decimal(14, 3) as on_hand_quantity,
        available_quantity::decimal(14, 3) as available_quantity,
        case
            when consumed_quantity > 0
                then round(on_hand_quantity / (consumed_quantity / window_days), 1)::double
        end as days_of_supply
    from measures

)

select * from final
