with source as (

    select * from {{ source('raw', 'plan_items') }}

),

renamed as (

    select
        plan_id,
        order_id,
        technician_id,
        sequence,
        planned_lower as planned_start,
        planned_upper as planned_end,
        travel_seconds,
        travel_meters,
        unassigned_reason,
        cast(explanation as json) as explanation,
        decision,
        id as plan_item_id,
        tenant_id
    from source

)

select * from renamed
