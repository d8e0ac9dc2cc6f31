"""Alembic environment for Flowlytics' tables; shared by `flowlytics db migrate` and `airflow db migrate`."""

from __future__ import annotations

import contextlib

from alembic import context
from sqlalchemy import create_engine, pool

from lineage_backend.store.migrate import VERSION_TABLE
from lineage_backend.store.models import metadata

config = context.config


def include_object(obj, name, type_, reflected, compare_to):
    # Never touch tables that are not ours: they share the database with Airflow's.
    if type_ == "table":
        return name in metadata.tables
    return True


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        include_object=include_object,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with contextlib.ExitStack() as stack:
        connection = config.attributes.get("connection")
        if connection is None:
            engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
            connection = stack.enter_context(engine.connect())
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=VERSION_TABLE,
            include_object=include_object,
            render_as_batch=True,  # SQLite cannot ALTER most things in place
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
