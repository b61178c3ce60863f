"""The store: runs, findings and their lifecycle, exceptions, the action journal, breakers,
notifications and seen events. SQLite by default, PostgreSQL by URL; migrated on open."""

from railguard.store.db import StoreError, default_url
from railguard.store.store import Store, new_id, open_store, utcnow

__all__ = ["Store", "StoreError", "default_url", "new_id", "open_store", "utcnow"]
