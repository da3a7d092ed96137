"""RepairOps operational database: settings, embedded Postgres, models, migrations, services."""
