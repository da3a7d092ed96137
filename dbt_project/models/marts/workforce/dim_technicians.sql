with technicians as (

    select * from {{ ref('stg_ops__technicians') }}

),

skills as (

    select
        technician_skills.tenant_id,
        technician_skills.technician_id,
        count(*) as skill_count,
        string_agg(skills.code, ', ' order by skills.code) as skills,
        string_agg(skills.code || ':' || technician_skills.level, ', ' order by skills.code) as skill_levels
    from {{ ref('stg_ops__technician_skills') }} as technician_skills
    inner join {{ ref('stg_ops__skills') }} as skills
        on technician_skills.tenant_id = skills.tenant_id
        and technician_skills.skill_id = skills.skill_id
    group by technician_skills.tenant_id, technician_skills.technician_id

),

locations as (

    select * from {{ ref('stg_ops__stock_locations') }}

),

final as (

    select
        technicians.technician_id,
        technicians.tenant_id,
        technicians.user_id,
        technicians.name,
        technicians.email,
        technicians.phone,
        technicians.hourly_cost,
        technicians.max_daily_minutes,
        technicians.max_travel_minutes,
        technicians.is_active,
        technicians.works_in_field,
        technicians.hired_on,
        coalesce(skills.skill_count, 0) as skill_count,
        skills.skills,
        skills.skill_levels,
        technicians.depot_location_id,
        depot.code as depot_code,
        depot.name as depot_name,
        technicians.van_location_id,
        van.code as van_code
    from technicians
    left join skills
        on technicians.tenant_id = skills.tenant_id
        and technicians.technician_id = skills.technician_id
    left join locations as depot
        on technicians.tenant_id = depot.tenant_id
        and technicians.depot_location_id = depot.location_id
    left join locations as van
        on technicians.tenant_id = van.tenant_id
        and technicians.van_location_id = van.location_id

)

select * from final
