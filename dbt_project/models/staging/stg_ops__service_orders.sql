with source as (

    select * from {{ source('raw', 'service_orders') }}

),

renamed as (

    select
        order_number,
        tracking_code,
        request_id,
        customer_id,
        equipment_id,
        site_id,
        stage,
        stage_before_hold,
        priority,
        location,
        sla_policy_id,
        maintenance_plan_id,
        required_skill_id,
        assigned_technician_id,
        problem_description,
        diagnosis,
        fault_type,
        estimated_minutes,
        estimate_amount,
        estimate_status,
        estimate_sent_at,
        estimate_decided_at,
        is_warranty_repair,
        warranty_id,
        hold_reason,
        received_at,
        promised_at,
        due_at,
        completed_at,
        closed_at,
        cancelled_at,
        created_by,
        id as order_id,
        tenant_id,
        created_at,
        updated_at
    from source

)

select * from renamed
