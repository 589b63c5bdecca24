"""Persistence: SQLAlchemy 2 async models, Alembic migrations, repositories, the unit of work.

Start here: `storage.database.Database(url).unit_of_work()`; records in `storage.records`;
migrations in `storage.schema`. Nothing connects at import time.
"""
