"""A `values_list` query compiled once per process and run with new parameters on every call.

For an indexed one-row lookup Django spends more CPU compiling the query (≈ 0.5–1 ms: resolving
lookups, joins, ordering, subqueries) than PostgreSQL spends answering it (≈ 0.1 ms). The few reads on the
hottest API path (docs/performance.md, benchmark 1) are therefore written as ordinary querysets, compiled
once, and executed on a plain cursor; Django's own converters turn the row into the same Python values
the ORM would return. Everything else keeps using the ORM directly.

`build(*sentinels)` returns the queryset with each parameter given as its sentinel value; each sentinel
must reach the SQL parameters exactly once and unchanged (exact lookups on integer and text columns do).
This is checked when the query is compiled. Compiled queries are kept per thread, since the compiler holds
the connection it was compiled for (threaded web workers each have their own).
"""

import threading
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet

# Both backends this project runs on store integers as signed 64-bit; a larger value matches no row
# (Django's ORM answers "no row" too instead of sending it).
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1


class PreparedQuery:
    def __init__(self, build: Callable[..., QuerySet], *sentinels) -> None:
        self._build = build
        self._sentinels = sentinels
        self._local = threading.local()

    def _compile(self, alias: str) -> tuple:
        compiler = self._build(*self._sentinels).query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = list(params)
        slots = []
        for sentinel in self._sentinels:
            found = [i for i, p in enumerate(params) if type(p) is type(sentinel) and p == sentinel]
            if len(found) != 1:
                raise ValueError(f"sentinel {sentinel!r} appears {len(found)} times in the compiled parameters")
            slots.append(found[0])
        converters = compiler.get_converters([col for col, _, _ in compiler.select[: compiler.col_count]])
        compiled = (sql, params, slots, compiler, converters)
        self._cache()[alias] = compiled
        return compiled

    def _cache(self) -> dict[str, tuple]:
        cache = getattr(self._local, "compiled", None)
        if cache is None:
            cache = self._local.compiled = {}
        return cache

    def rows(self, *values, using: str = DEFAULT_DB_ALIAS) -> list[list]:
        sql, params, slots, compiler, converters = self._cache().get(using) or self._compile(using)
        params = list(params)
        for slot, value in zip(slots, values, strict=True):
            params[slot] = value
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            return list(compiler.apply_converters(rows, converters))
        return [list(row) for row in rows]


def instance(model: type[Model], values: dict, *, using: str = DEFAULT_DB_ALIAS) -> Model:
    """A model instance as the ORM would load it with `.only(*values)`: the other fields are deferred."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(using, names, [values[n] for n in names])
