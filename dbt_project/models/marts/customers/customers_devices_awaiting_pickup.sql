{#- One row per service order in stage 'ready' (repaired, waiting for the customer): who to contact,
    which device, and how long it has waited since it became ready (tenant-local days to the as-of
    date, var as_of or now). -#}
{%- set as_of = "cast('" ~ var('as_of') ~ "' as timestamptz)" if var('as_of', none) else "(select as_of_at from " ~ ref('int_ops_as_of') ~ ")" -%}
with ready_orders as (

    select * from {{ ref('int_ready_orders_dated') }}

),

customers as (

    select * from {{ ref('stg_ops__customers') }}

),

equipment as (

    select * from {{ ref('stg_ops__equipment') }}

),

equipment_models as (

    select * from {{ ref('stg_ops__equipment_models') }}

),

tenants as (

    select tenant_id, time_zone from {{ ref('stg_ops__tenants') }}

),

final as (

    select
        ready_orders.order_id,
        ready_orders.tenant_id,
        ready_orders.order_number,
        ready_orders.tracking_code,
        ready_orders.location,
        ready_orders.customer_id,
        customers.name as customer_name,
        customers.email as customer_email,
        customers.phone as customer_phone,
        ready_orders.equipment_id,
        equipment.serial_number,
        equipment_models.name as equipment_model_name,
        ready_orders.ready_at,
        ready_orders.has_ready_event,
        greatest(
            timezone(tenants.time_zone, {{ as_of }})::date - timezone(tenants.time_zone, ready_orders.ready_at)::date,
            0
        )::integer as days_waiting,
        round(greatest(date_diff('second', ready_orders.ready_at, {{ as_of }}), 0) / 3600.0, 1)::double
            as hours_waiting
    from ready_orders
    inner join tenants
        on ready_orders.tenant_id = tenants.tenant_id
    left join customers
        on ready_orders.tenant_id = customers.tenant_id
        and ready_orders.customer_id = customers.customer_id
    left join equipment
        on ready_orders.tenant_id = equipment.tenant_id
        and ready_orders.equipment_id = equipment.equipment_id
    left join equipment_models
        on equipment.tenant_id = equipment_models.tenant_id
        and equipment.model_id = equipment_models.model_id

)

select * from final
