{#- Stock-outs, two kinds of row (stockout_kind):
      * 'current'        — a stock level that is out now: available (quantity − reserved) ≤ 0 or
                           quantity < reserved; started_at is the start of the ongoing ledger episode, if any.
      * 'ledger_episode' — a past or ongoing episode read from the movement ledger: the running quantity
                           at the location went to ≤ 0 at started_at and came back above 0 at ended_at.
    Current level figures are carried on every row for context. -#}
{%- set as_of = "cast('" ~ var('as_of') ~ "' as timestamptz)" if var('as_of', none) else "(select as_of_at from " ~ ref('int_ops_as_of') ~ ")" -%}
with stock_levels as (

    select * from {{ ref('stg_ops__stock_levels') }}

),

episodes as (

    select * from {{ ref('int_stock_stockout_episodes') }}

),

current_outs as (

    select
        'current:' || stock_levels.location_id || ':' || stock_levels.part_id as stockout_key,
        'current' as stockout_kind,
        stock_levels.tenant_id,
        stock_levels.location_id,
        stock_levels.part_id,
        episodes.started_at,
        cast(null as timestamptz) as ended_at,
        true as is_ongoing,
        episodes.started_by_movement_id,
        episodes.started_by_reason,
        episodes.started_by_order_id,
        episodes.quantity_at_start
    from stock_levels
    left join episodes
        on stock_levels.tenant_id = episodes.tenant_id
        and stock_levels.location_id = episodes.location_id
        and stock_levels.part_id = episodes.part_id
        and episodes.is_ongoing
    where stock_levels.quantity - stock_levels.reserved <= 0
        or stock_levels.quantity < stock_levels.reserved

),

ledger_episodes as (

    select
        'ledger:' || started_by_movement_id as stockout_key,
        'ledger_episode' as stockout_kind,
        tenant_id,
        location_id,
        part_id,
        started_at,
        ended_at,
        is_ongoing,
        started_by_movement_id,
        started_by_reason,
        started_by_order_id,
        quantity_at_start
    from episodes

),

unioned as (

    select * from current_outs
    union all
    select * from ledger_episodes

),

final as (

    select
        unioned.stockout_key,
        unioned.stockout_kind,
        unioned.tenant_id,
        unioned.location_id,
        unioned.part_id,
        locations.kind as location_kind,
        parts.sku,
        unioned.started_at,
        unioned.ended_at,
        unioned.is_ongoing,
        case
            when unioned.started_at is not null
                then round(date_diff('second', unioned.started_at, coalesce(unioned.ended_at, {{ as_of }})) / 3600.0, 2)
        end as duration_hours,
        unioned.started_by_movement_id,
        unioned.started_by_reason,
        unioned.started_by_order_id,
        unioned.quantity_at_start,
        stock_levels.quantity as current_quantity,
        stock_levels.reserved as current_reserved,
        (stock_levels.quantity - stock_levels.reserved)::decimal(12, 3) as current_available
    from unioned
    left join stock_levels
        on unioned.tenant_id = stock_levels.tenant_id
        and unioned.location_id = stock_levels.location_id
        and unioned.part_id = stock_levels.part_id
    left join {{ ref('stg_ops__stock_locations') }} as locations
        on unioned.tenant_id = locations.tenant_id
        and unioned.location_id = locations.location_id
    left join {{ ref('stg_ops__parts') }} as parts
        on unioned.tenant_id = parts.tenant_id
        and unioned.part_id = parts.part_id

)

select * from final
