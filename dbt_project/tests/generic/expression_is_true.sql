{#- Every row satisfies `expression` (arithmetic identities such as net + tax = total). -#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not ({{ expression }})
{% endtest %}
