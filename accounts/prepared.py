"""A `values_list` query compiled once per process and run with new parameters on every call.

For an indexed one-row lookup Django spends more CPU compiling the query (≈ 0.5–1 ms: resolving
lookups, joins, ordering, subqueries) than PostgreSQL spends answering it (≈ 0.1 ms). The few reads on the
hottest API path (docs/performance.md, benchmark 1) are therefore written as ordinary querysets, compiled
once, and executed on a plain cursor; Django's own converters turn the row into the same Python values
the ORM would return. Everything else keeps using the ORM directly.

`build(*sentinels)` returns the queryset with each parameter given as its sentinel value; each sentinel
must reach the SQL parameters exactly once, unchanged (exact and `in` lookups on integer and text columns)
or as `encode` makes it from the value and the connection (`like_prefix` for `startswith`). This is
checked when the query is compiled. Compiled queries are kept per thread, since the compiler holds
the connection it was compiled for (threaded web workers each have their own).
"""

import itertools
import threading
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet

# Both backends this project runs on store integers as signed 64-bit; a larger value matches no row
# (Django's ORM answers "no row" too instead of sending it).
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1


def like_prefix(value: str, connection) -> str:
    """The parameter Django sends for `field__startswith=value`."""
    return connection.ops.prep_for_like_query(value) + "%"


_NAMES = itertools.count(1)


def _session_prepare(local: threading.local, name: str, body: str, connection, cursor) -> None:
    """PREPARE `name` in this database session unless this thread already did. A prepared statement lives
    as long as the session and survives a rollback; a new session (reconnect, CONN_MAX_AGE) needs it again."""
    sessions = local.__dict__.setdefault("sessions", {})
    if sessions.get(connection.alias) is not connection.connection:
        cursor.execute(f"PREPARE {name} AS {body}")
        sessions[connection.alias] = connection.connection


class PreparedQuery:
    """`server_side=True` (PostgreSQL): also keep the statement PREPAREd in each database session, so
    PostgreSQL parses and plans it once per session instead of on every call (planning the token query took
    0.66 ms against 0.12 ms to run it). Only for lookups by equality, whose generic plan is the same as the
    one for any value; a LIKE or a range would lose its index under a generic plan."""

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *sentinels,
        encode: dict[int, Callable] | None = None,
        server_side: bool = False,
    ) -> None:
        self._build = build
        self._sentinels = sentinels
        self._encode = encode or {}
        self._local = threading.local()
        self._server_side = server_side
        self._name = f"kaihu_prepared_{next(_NAMES)}"

    def _param(self, i: int, value, connection):
        encode = self._encode.get(i)
        return value if encode is None else encode(value, connection)

    def _compile(self, alias: str) -> tuple:
        compiler = self._build(*self._sentinels).query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = list(params)
        slots = []
        for n, sentinel in enumerate(self._sentinels):
            sentinel = self._param(n, sentinel, connections[alias])
            found = [i for i, p in enumerate(params) if type(p) is type(sentinel) and p == sentinel]
            if len(found) != 1:
                raise ValueError(f"sentinel {sentinel!r} appears {len(found)} times in the compiled parameters")
            slots.append(found[0])
        converters = compiler.get_converters([col for col, _, _ in compiler.select[: compiler.col_count]])
        prepare = None
        if self._server_side and connections[alias].vendor == "postgresql":
            from psycopg2.extensions import AsIs

            marked = list(params)
            for n, slot in enumerate(slots, start=1):
                marked[slot] = AsIs(f"${n}")
            with connections[alias].cursor() as cursor:
                body = cursor.mogrify(sql, marked).decode()  # the other parameters become literals
            prepare = (body, f"EXECUTE {self._name} ({', '.join(['%s'] * len(slots))})")
        compiled = (sql, params, slots, compiler, converters, prepare)
        self._cache()[alias] = compiled
        return compiled

    def _cache(self) -> dict[str, tuple]:
        cache = getattr(self._local, "compiled", None)
        if cache is None:
            cache = self._local.compiled = {}
        return cache

    def rows(self, *values, using: str = DEFAULT_DB_ALIAS) -> list[list]:
        sql, params, slots, compiler, converters, prepare = self._cache().get(using) or self._compile(using)
        params = list(params)
        for n, (slot, value) in enumerate(zip(slots, values, strict=True)):
            params[slot] = self._param(n, value, connections[using]) if self._encode else value
        connection = connections[using]
        with connection.cursor() as cursor:
            if prepare is None:
                cursor.execute(sql, params)
            else:
                _session_prepare(self._local, self._name, prepare[0], connection, cursor)
                cursor.execute(prepare[1], [params[slot] for slot in slots])
            rows = cursor.fetchall()
        if converters:
            return list(compiler.apply_converters(rows, converters))
        return [list(row) for row in rows]


def instance(model: type[Model], values: dict, *, using: str = DEFAULT_DB_ALIAS) -> Model:
    """A model instance as the ORM would load it with `.only(*values)`: the other fields are deferred."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(using, names, [values[n] for n in names])


class PreparedInsert:
    """`Model.save()` of a new row as one INSERT built once per process.

    Each value still goes through its field's `pre_save` (auto_now_add) and `get_db_prep_save` (JSON,
    encryption, dates), exactly as `save()` would; what is skipped is compiling the same statement on every
    call (≈ 0.5 ms of CPU per row); with `server_side=True` PostgreSQL keeps it PREPAREd per session too,
    as PreparedQuery does. No signals are sent: use it only for models that have no save()
    override with effects, no history and no pre/post_save receivers (the hot path's match decisions).
    """

    def __init__(self, model: type[Model], *, server_side: bool = False) -> None:
        self.model = model
        meta = model._meta
        self._fields = [f for f in meta.local_concrete_fields if f is not meta.pk]
        self._sql: dict[str, tuple[str, str, bool]] = {}
        self._server_side = server_side  # PostgreSQL: PREPAREd once per session, as PreparedQuery does
        self._name = f"kaihu_prepared_{next(_NAMES)}"
        self._local = threading.local()

    def _statement(self, using: str) -> tuple[str, str, bool]:
        """(the INSERT with %s placeholders, the same with $1…$n for PREPARE, whether it returns the pk)."""
        found = self._sql.get(using)
        if found is None:
            connection = connections[using]
            quote = connection.ops.quote_name
            returning = connection.features.can_return_columns_from_insert
            head = "INSERT INTO {} ({}) VALUES ".format(  # noqa: S608  # nosec B608  (model identifiers only)
                quote(self.model._meta.db_table), ", ".join(quote(f.column) for f in self._fields)
            )
            tail = f" RETURNING {quote(self.model._meta.pk.column)}" if returning else ""
            numbered = ", ".join(f"${n}" for n in range(1, len(self._fields) + 1))
            found = self._sql[using] = (
                f"{head}({', '.join(['%s'] * len(self._fields))}){tail}",
                f"{head}({numbered}){tail}",
                returning,
            )
        return found

    def insert(self, obj: Model, *, using: str = DEFAULT_DB_ALIAS) -> Model:
        if obj.pk is not None:
            raise ValueError("PreparedInsert writes new rows only")
        connection = connections[using]
        sql, numbered, returning = self._statement(using)
        values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in self._fields]
        with connection.cursor() as cursor:
            if self._server_side and connection.vendor == "postgresql":
                _session_prepare(self._local, self._name, numbered, connection, cursor)
                cursor.execute(f"EXECUTE {self._name} ({', '.join(['%s'] * len(values))})", values)
            else:
                cursor.execute(sql, values)
            if returning:
                pk = cursor.fetchone()[0]
            else:
                pk = connection.ops.last_insert_id(cursor, self.model._meta.db_table, self.model._meta.pk.column)
        obj.pk = pk
        obj._state.adding, obj._state.db = False, using
        return obj
