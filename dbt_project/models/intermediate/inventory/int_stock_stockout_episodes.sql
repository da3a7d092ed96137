{#- Stock-out episodes read from the ledger: an episode starts at the movement that takes the
    running quantity of a part at a location from above zero (or from nothing) to ≤ 0, and ends at
    the first later movement that brings it back above zero (ended_at null: still out). -#}
with movements as (

    select
        *,
        quantity_after <= 0 as is_out,
        lag(quantity_after <= 0) over (
            partition by tenant_id, location_id, part_id order by movement_seq
        ) as was_out
    from {{ ref('int_stock_movements_accumulated') }}

),

state_changes as (

    -- movements where the out-of-stock state flips
    select
        *,
        lead(movement_id) over (
            partition by tenant_id, location_id, part_id order by movement_seq
        ) as next_change_movement_id,
        lead(occurred_at) over (
            partition by tenant_id, location_id, part_id order by movement_seq
        ) as next_change_at
    from movements
    where is_out is distinct from coalesce(was_out, false)

),

final as (

    select
        movement_id as started_by_movement_id,
        tenant_id,
        location_id,
        part_id,
        reason as started_by_reason,
        order_id as started_by_order_id,
        quantity_delta as started_by_quantity_delta,
        quantity_after as quantity_at_start,
        occurred_at as started_at,
        next_change_at as ended_at,
        next_change_movement_id as ended_by_movement_id,
        next_change_at is null as is_ongoing
    from state_changes
    where is_out

)

select * from final
