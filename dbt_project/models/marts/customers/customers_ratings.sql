{#- One row per tenant × tenant-local month with ratings (order_ratings.created_at): how many, the
    average score and the shares of 5s and of low scores (≤ 2). -#}
with ratings as (

    select * from {{ ref('stg_ops__order_ratings') }}

),

tenants as (

    select tenant_id, time_zone from {{ ref('stg_ops__tenants') }}

),

monthly as (

    select
        ratings.tenant_id,
        date_trunc('month', timezone(tenants.time_zone, ratings.created_at))::date as month,
        count(*) as ratings_count,
        avg(ratings.score) as avg_score,
        count(*) filter (where ratings.score = 5) as five_star_count,
        count(*) filter (where ratings.score <= 2) as low_score_count
    from ratings
    inner join tenants
        on ratings.tenant_id = tenants.tenant_id
    group by all

),

final as (

    select
        tenant_id,
        month,
        ratings_count::integer as ratings_count,
        round(avg_score, 2)::decimal(4, 2) as avg_score,
        five_star_count::integer as five_star_count,
        low_score_count::integer as low_score_count,
        round(five_star_count / ratings_count, 4)::decimal(5, 4) as five_star_share,
        round(low_score_count / ratings_count, 4)::decimal(5, 4) as low_score_share
    from monthly

)

select * from final
