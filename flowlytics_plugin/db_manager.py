"""Lets `airflow db migrate` create and upgrade Flowlytics' tables in Airflow's metadata database."""

from __future__ import annotations

from airflow.utils.db_manager import BaseDBManager

from lineage_backend.store.migrate import ALEMBIC_INI, MIGRATIONS_DIR, VERSION_TABLE
from lineage_backend.store.models import metadata


class FlowlyticsDBManager(BaseDBManager):
    metadata = metadata
    version_table_name = VERSION_TABLE
    migration_dir = str(MIGRATIONS_DIR)
    alembic_file = str(ALEMBIC_INI)
    supports_table_dropping = True
