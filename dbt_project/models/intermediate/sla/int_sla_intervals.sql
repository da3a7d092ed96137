-- One row per SLA order and measured interval (order_id x measure). The intervals whose business minutes the
-- SLA marts need:
--   response_elapsed      clock start (or received_at) -> first response, or cancellation, or as-of while open
--   resolution_elapsed    clock start (or received_at) -> resolution,     or cancellation, or as-of while open
--   response_open_pause   a paused clock's paused_at -> the same end (the pause not yet in paused_seconds)
--   resolution_open_pause
--   response_late         a breached clock's due_at -> stopped_at, or as-of while still running
--   resolution_late
with

orders as (

    select * from {{ ref('int_sla_orders_joined') }}

),

as_of as (

    select as_of_at from {{ ref('int_ops_as_of') }}

),

ends as (

    select
        orders.*,
        as_of.as_of_at,
        coalesce(orders.first_response_at, orders.cancelled_at, as_of.as_of_at) as response_end_at,
        coalesce(orders.resolved_at, orders.cancelled_at, as_of.as_of_at) as resolution_end_at
    from orders
    cross join as_of

),

intervals as (

    {% for kind in ['response', 'resolution'] %}
    {% set milestone = 'first_response_at' if kind == 'response' else 'resolved_at' %}
    select
        tenant_id,
        order_id,
        calendar_id,
        '{{ kind }}_elapsed' as measure,
        coalesce({{ kind }}_clock_started_at, received_at) as start_at,
        {{ kind }}_end_at as end_at,
        ({{ milestone }} is null and cancelled_at is null) as is_open
    from ends

    union all

    select
        tenant_id,
        order_id,
        calendar_id,
        '{{ kind }}_open_pause' as measure,
        {{ kind }}_paused_at as start_at,
        {{ kind }}_end_at as end_at,
        ({{ milestone }} is null and cancelled_at is null) as is_open
    from ends
    where {{ kind }}_paused_at is not null

    union all

    select
        tenant_id,
        order_id,
        calendar_id,
        '{{ kind }}_late' as measure,
        {{ kind }}_due_at as start_at,
        coalesce({{ kind }}_clock_stopped_at, as_of_at) as end_at,
        ({{ kind }}_clock_stopped_at is null) as is_open
    from ends
    where {{ kind }}_clock_state = 'breached'

    {{ 'union all' if not loop.last }}
    {% endfor %}

)

select * from intervals
