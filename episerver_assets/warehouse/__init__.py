"""The warehouse: SQLAlchemy over embedded DuckDB (default) or PostgreSQL."""

from .resource import WarehouseResource

__all__ = ["WarehouseResource"]
