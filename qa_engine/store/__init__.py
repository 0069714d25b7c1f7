"""Persistence: SQLModel tables, repositories (every query lives here) and Alembic migrations."""
