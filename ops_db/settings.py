"""Runtime settings, read from the environment (prefix ``REPAIROPS_``) and ``DATABASE_URL``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where RepairOps keeps its data and which Postgres it talks to."""

    model_config = SettingsConfigDict(env_prefix="REPAIROPS_", extra="ignore")

    data_dir: Path = Field(default=Path(".repairops"), description="Runtime data: database, warehouse, uploads.")
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "REPAIROPS_DATABASE_URL"),
        description="An existing Postgres server; when unset RepairOps runs its own embedded one.",
    )
    pg_dir: Path | None = Field(default=None, description="Embedded Postgres data directory (default DATA_DIR/pg).")
    database_name: str = Field(default="repairops", description="Database created on the embedded server.")
    app_role: str = Field(
        default="repairops_app",
        description="Login role the application connects as: not a superuser, not the tables' owner (RLS applies).",
    )
    app_database_password: SecretStr | None = Field(
        default=None,
        description="Password of the application's login role on a DATABASE_URL server (unset: no password, "
        "as on the embedded server, whose Unix socket trusts local users).",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="The server's secret key (at least 32 random characters): encrypts secrets at rest and signs "
        "API tokens. Unset: a key generated at first start into DATA_DIR/secret.key (mode 0600).",
    )
    new_secret_key: SecretStr | None = Field(
        default=None,
        description="Only for `repairops secrets rotate` while REPAIROPS_SECRET_KEY is set: the key to move to.",
    )

    warehouse_file: Path | None = Field(
        default=None, description="DuckDB warehouse file (default DATA_DIR/warehouse.duckdb)."
    )

    smtp_host: str | None = Field(
        default=None, description="SMTP server for email notifications (unset: no email is sent)."
    )
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP port.")
    smtp_sender: str = Field(default="RepairOps <no-reply@localhost>", description="From address of emails.")
    smtp_starttls: bool = Field(default=False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_username: str | None = Field(default=None, description="SMTP login (optional).")
    smtp_password: str | None = Field(default=None, description="SMTP password (optional).")

    stripe_secret_key: str | None = Field(default=None, description="Stripe secret key (unset: no online payment).")
    stripe_webhook_secret: str | None = Field(
        default=None, description="Signing secret of the Stripe webhook endpoint."
    )
    public_url: str = Field(default="http://127.0.0.1:8501", description="Where customers reach the portal.")
    trusted_proxies: str = Field(
        default="",
        description="Addresses or networks (CIDR), comma-separated, of the reverse proxies in front of the "
        "API: only their X-Forwarded-For is believed (empty: none; the peer's address is the client's).",
    )
    max_request_bytes: int = Field(
        default=30 * 1024 * 1024,
        ge=64 * 1024,
        description="Largest API request body, uploads included (a 20 MB photo is about 27 MB as base64); "
        "a larger one is refused with 413 before it is read.",
    )
    stripe_api_base: str | None = Field(default=None, description="Another Stripe API address (a proxy; tests).")

    travel_provider: str = Field(
        default="haversine",
        description="Travel times for dispatch: haversine (straight line x road factor), osrm or valhalla.",
    )
    routing_url: str | None = Field(default=None, description="Base URL of the OSRM or Valhalla server.")
    travel_speed_kmh: float = Field(default=40.0, gt=0, description="Average speed for the haversine estimate.")
    travel_road_factor: float = Field(default=1.3, ge=1, description="Road distance per straight-line distance.")

    def travel_config(self) -> dict[str, Any]:
        """Arguments for ``optimizer.travel.provider_from_config``: the provider, its URL and its options."""
        if self.travel_provider.strip().lower() == "haversine":
            return {"engine": "haversine", "road_factor": self.travel_road_factor, "speed_kmh": self.travel_speed_kmh}
        return {"engine": self.travel_provider, "url": self.routing_url}

    @property
    def embedded(self) -> bool:
        """True when RepairOps manages its own Postgres."""
        return not self.database_url

    @property
    def pg_data_dir(self) -> Path:
        """Absolute path of the embedded server's data directory."""
        return (self.pg_dir or self.data_dir / "pg").expanduser().resolve()

    @property
    def warehouse_path(self) -> Path:
        """Absolute path of the DuckDB warehouse file the pipelines build and analysts read."""
        return (self.warehouse_file or self.data_dir / "warehouse.duckdb").expanduser().resolve()

    @property
    def data_path(self) -> Path:
        """Absolute path of the runtime data directory."""
        return self.data_dir.expanduser().resolve()

    @property
    def secret_key_file(self) -> Path:
        """Where the generated secret key lives when REPAIROPS_SECRET_KEY is unset."""
        return self.data_path / "secret.key"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; call ``get_settings.cache_clear()`` after changing the env)."""
    return Settings()
