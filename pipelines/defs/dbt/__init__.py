"""dbt assets: staging, intermediate and mart models of ``dbt_project/``."""
