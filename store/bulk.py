"""Rows written in bulk, the fastest way each backend takes them: the driver's executemany on SQLite, COPY on
PostgreSQL. Inside the caller's transaction; values as the tables' SQLAlchemy types convert them.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, insert


def insert_rows(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Inserts ROWS (dicts with the same keys, every column without a server default given): on SQLite through
    the driver, on PostgreSQL by COPY (an académie's 99,000 students: SQLAlchemy's multi-row VALUES took
    seconds), elsewhere SQLAlchemy's own executemany."""
    if connection.dialect.name == "sqlite":
        driver_executemany(connection, table, list(rows[0]), rows)
    elif connection.dialect.name == "postgresql":
        copy_rows(connection, table.name, list(rows[0]), rows)
    else:
        connection.execute(insert(table), rows)


def driver_executemany(connection: Connection, table: Table, names: list[str], rows: list[dict[str, Any]],
                        suffix: str = "") -> None:
    """INSERT … SUFFIX through the driver's executemany, values converted by the columns' own SQLAlchemy types.

    SQLAlchemy's executemany builds its parameters row by row: for an académie, a quarter of the write on SQLite.
    """
    processors = [table.c[name].type.bind_processor(connection.dialect) for name in names]
    converted = [name for name, processor in zip(names, processors) if processor is not None]
    values = [tuple(row[name] for name in names) for row in rows]
    if converted:
        positions = [(names.index(name), processors[names.index(name)]) for name in converted]
        values = [_converted(row, positions) for row in values]
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) {suffix}", values)


def _converted(row: tuple, positions: list[tuple[int, Any]]) -> tuple:
    values = list(row)
    for position, processor in positions:
        if values[position] is not None:
            values[position] = processor(values[position])
    return tuple(values)


def copy_rows(connection: Connection, table: str, names: list[str], rows: list[dict[str, Any]]) -> None:
    """ROWS into TABLE by psycopg's COPY, inside the connection's transaction."""
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] for name in names])
