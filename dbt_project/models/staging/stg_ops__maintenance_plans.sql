with source as (

    select * from {{ source('raw', 'maintenance_plans') }}

),

renamed as (

    select
        customer_id,
        equipment_id,
        name,
        task_description,
        priority,
        required_skill_id,
        interval_days,
        meter,
        meter_interval,
        next_due_on,
        next_due_meter,
        last_generated_at,
        is_active,
        id as maintenance_plan_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
