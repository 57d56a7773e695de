"""Test helpers shared by every app's tests."""

import os

import pytest
from django.db import connection

requires_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="needs PostgreSQL (set DATABASE_URL=postgres://…)",
)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"
