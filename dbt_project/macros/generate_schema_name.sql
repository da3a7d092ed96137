{#- Marts live in one schema per area (finance.fct_payments, sla.sla_order_compliance), not
    in "<target>_<area>", so analysts find them under the names the README documents. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
