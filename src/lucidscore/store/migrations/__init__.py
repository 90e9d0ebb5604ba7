"""Alembic migrations of lucidscore's database, shipped inside the package (run by ``store.migrate``)."""
