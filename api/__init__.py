"""RepairOps REST API: FastAPI over the ``ops_db`` services (OpenAPI at ``/openapi.json``)."""
