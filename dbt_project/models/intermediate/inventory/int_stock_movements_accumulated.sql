{#- The stock ledger with a running balance: one row per movement, with the quantity at its
    location before and after it (running sum of quantity_delta per tenant × location × part, in
    occurred_at then movement_id order), and the tenant-local day it happened. -#}
with movements as (

    select * from {{ ref('stg_ops__stock_movements') }}

),

tenants as (

    select tenant_id, time_zone from {{ ref('stg_ops__tenants') }}

),

running as (

    select
        movements.movement_id,
        movements.tenant_id,
        movements.location_id,
        movements.part_id,
        movements.reason,
        movements.quantity_delta,
        movements.unit_cost,
        movements.order_id,
        movements.occurred_at,
        timezone(tenants.time_zone, movements.occurred_at)::date as movement_date,
        sum(movements.quantity_delta) over (
            partition by movements.tenant_id, movements.location_id, movements.part_id
            order by movements.occurred_at, movements.movement_id
            rows between unbounded preceding and current row
        ) as quantity_after,
        row_number() over (
            partition by movements.tenant_id, movements.location_id, movements.part_id
            order by movements.occurred_at, movements.movement_id
        ) as movement_seq
    from movements
    inner join tenants
        on movements.tenant_id = tenants.tenant_id

),

final as (

    select
        movement_id,
        tenant_id,
        location_id,
        part_id,
        movement_seq,
        reason,
        quantity_delta,
        unit_cost,
        order_id,
        occurred_at,
        movement_date,
        (quantity_after - quantity_delta)::decimal(14, 3) as quantity_before,
        quantity_after::decimal(14, 3) as quantity_after
    from running

)

select * from final
