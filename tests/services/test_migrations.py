"""Migrations build the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import broadcast_feed.models  # noqa: F401
import services.models  # noqa: F401
import services.taxes.models  # noqa: F401
from services.core.db import Base, get_engine


def test_migrations_match_the_models(any_db_url):
    with get_engine(any_db_url).connect() as conn:
        ctx = MigrationContext.configure(conn)
        diff = [d for d in compare_metadata(ctx, Base.metadata)
                if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")]
    assert diff == []
