"""One settings object, read once from the environment (prefix ``QA_``) and an optional ``.env``."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from qa_engine.domain.errors import QAError

PACKAGE_DIR = Path(__file__).resolve().parent
DEV_SECRET = "development-only-secret-change-me"


def packaged(package: str, *parts: str) -> Path:
    """A file or folder shipped inside the installed package (never looked up in a checkout)."""
    return Path(str(files(package).joinpath(*parts)))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default SQLite under data_dir"
    )
    rubrics_dir: Path = Field(default_factory=lambda: packaged("qa_engine.rubrics"))
    workflow_settings: Path = Field(
        default_factory=lambda: packaged("qa_engine.workflows", "settings.yaml")
    )
    reports_dir: Path = Field(default_factory=lambda: packaged("qa_engine.reports"))
    # the identifiers of the QA office and the institutions that the interop exports state
    interop_profile: Path = Field(
        default_factory=lambda: packaged("qa_engine.workflows", "interop.yaml")
    )
    secret_key: str = DEV_SECRET
    base_url: str = "http://127.0.0.1:8000"
    name_reviewers: bool = False

    # mail
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "qa-engine@4euplus.eu"

    # signing (PAdES)
    signing_p12: Path | None = None
    signing_p12_password: str | None = None
    signing_key: Path | None = None
    signing_cert: Path | None = None
    signing_chain: list[Path] = Field(default_factory=list)
    signing_key_password: str | None = None
    trust_roots: list[Path] = Field(default_factory=list)
    timestamp_url: str | None = None

    # orchestration
    prefect_mode: Literal["embedded", "deployment"] = "embedded"
    # the local Prefect server of the data folder (embedded mode): a first start creates and
    # migrates Prefect's own database, which a slow or busy laptop takes a minute or more for
    prefect_startup_timeout: float = Field(default=180.0, ge=10, le=3600)
    prefect_idle_minutes: float = Field(default=15.0, ge=0.1, le=7 * 24 * 60)
    prefect_ui: bool = True

    # web: worker threads per server process for handlers and database work
    web_threads: int = Field(default=6, ge=1, le=200)

    # imports
    max_upload_bytes: int = 20 * 1024 * 1024
    max_unzipped_bytes: int = 200 * 1024 * 1024

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.env == "production" and (
            self.secret_key == DEV_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError(
                "QA_SECRET_KEY must be set to a random value of 32+ characters in production"
            )
        return self

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_data_dir / 'qa-engine.db'}"

    @property
    def outbox_dir(self) -> Path:
        return self.resolved_data_dir / "outbox"

    @property
    def reports_out_dir(self) -> Path:
        return self.resolved_data_dir / "reports"

    @property
    def pki_dir(self) -> Path:
        return self.resolved_data_dir / "pki"

    @property
    def prefect_home(self) -> Path:
        return self.resolved_data_dir / "prefect"

    @property
    def logs_dir(self) -> Path:
        return self.resolved_data_dir / "logs"


class SettingsInvalid(QAError):
    """A `QA_*` environment variable or `.env` line the engine cannot use."""

    code = "settings_invalid"


def _setting_problems(exc: ValidationError | SettingsError) -> list[str]:
    if isinstance(exc, ValidationError):
        return [
            f"QA_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            f" (given: {str(e.get('input'))[:80]!r})"
            for e in exc.errors()
        ]
    field = re.search(r'field "([^"]+)"', str(exc))
    name = f"QA_{field.group(1).upper()}" if field else "a QA_ setting"
    return [f'{name}: cannot be read; a list or mapping is written in JSON, e.g. \'["a", "b"]\'']


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except (ValidationError, SettingsError) as exc:
        raise SettingsInvalid(
            "the settings (QA_* environment variables or .env) are not valid",
            details=_setting_problems(exc),
        ) from None


def reset_settings() -> None:
    get_settings.cache_clear()
