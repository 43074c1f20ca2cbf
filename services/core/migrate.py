"""Apply the Alembic migrations to a database URL (used by make run and tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config as AlembicConfig

from services.core.config import ROOT


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "services" / "migrations"))
    cfg.attributes["url"] = url
    return cfg


def upgrade(url: str) -> None:
    command.upgrade(alembic_config(url), "head")
