with source as (

    select * from {{ source('raw', 'order_events') }}

),

renamed as (

    select
        order_id,
        event_type,
        from_stage,
        to_stage,
        actor_user_id,
        actor_label,
        occurred_at,
        cast(payload as json) as payload,
        id as event_id,
        tenant_id
    from source

)

select * from renamed
