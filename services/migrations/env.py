from alembic import context

import broadcast_feed.models  # noqa: F401  (news tables)
import services.models  # noqa: F401  (registers the tables)
import services.taxes.models  # noqa: F401
from services.core.config import load_config
from services.core.db import Base, get_engine

config = context.config
url = config.attributes.get("url") or load_config().DATABASE_URL


def run_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = get_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=Base.metadata,
                          render_as_batch=url.startswith("sqlite"))
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
