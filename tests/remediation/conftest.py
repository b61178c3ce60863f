from tests.store.conftest import pg_admin, store_url  # noqa: F401  (fixtures: SQLite and PostgreSQL stores)
