with source as (

    select * from {{ source('raw', 'stock_movements') }}

),

renamed as (

    select
        part_id,
        location_id,
        quantity_delta,
        reason,
        order_id,
        transfer_id,
        receipt_id,
        unit_cost,
        actor_user_id,
        occurred_at,
        id as movement_id,
        tenant_id
    from source

)

select * from renamed
