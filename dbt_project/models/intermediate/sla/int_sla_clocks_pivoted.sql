-- One row per order that has SLA clocks: its response and resolution clock side by side
-- (sla_clocks is unique on order_id + kind).
with

clocks as (

    select * from {{ ref('stg_ops__sla_clocks') }}

),

final as (

    select
        tenant_id,
        order_id,
        {% for kind in ['response', 'resolution'] %}
        max(clock_id) filter (where kind = '{{ kind }}') as {{ kind }}_clock_id,
        max(state) filter (where kind = '{{ kind }}') as {{ kind }}_clock_state,
        max(started_at) filter (where kind = '{{ kind }}') as {{ kind }}_clock_started_at,
        max(due_at) filter (where kind = '{{ kind }}') as {{ kind }}_due_at,
        max(paused_at) filter (where kind = '{{ kind }}') as {{ kind }}_paused_at,
        max(paused_seconds) filter (where kind = '{{ kind }}') as {{ kind }}_paused_seconds,
        max(stopped_at) filter (where kind = '{{ kind }}') as {{ kind }}_clock_stopped_at{{ ',' if not loop.last }}
        {% endfor %}
    from clocks
    group by tenant_id, order_id

)

select * from final
