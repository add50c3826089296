"""The warehouse: SQLAlchemy over embedded DuckDB (default) or PostgreSQL."""

from .resource import WarehouseResource, partition_date

__all__ = ["WarehouseResource", "partition_date"]
