"""Temporary check that the PostgreSQL fixture works."""
from kettrack.store.database import Database


def test_pg_opens(pg_url):
    db = Database.open(pg_url)
    assert db.revision == "0001"
    db.close()
