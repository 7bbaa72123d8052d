"""The database engines behind ``storage.database.Database``: SQLite and PostgreSQL."""
