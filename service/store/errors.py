"""The store's one failure: ``StoreUnavailable``, raised at the store's boundary.

Every public method of a store class is wrapped (``guarded``) so that a Redis
failure of any kind leaves the store as ``StoreUnavailable``, named after the
operation that failed (``"users.change"``) and counted once through the store's
``on_error`` hook. Nothing above ``service/store/`` catches ``redis`` errors.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

import redis
from redis.exceptions import RedisClusterException

#: What a failing Redis raises: every ``RedisError``, and the cluster client's own ``RedisClusterException``
#: (no node of the cluster answers), which is not one.
REDIS_ERRORS = (redis.RedisError, RedisClusterException)


class StoreUnavailable(Exception):
    """Redis could not be reached or failed; the operation may not have happened."""

    def __init__(self, operation: str):
        super().__init__(f"the store (Redis) is unavailable ({operation})")
        self.operation = operation


def _wrap(fn: Callable, operation: str) -> Callable:
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator(self, *args, **kwargs):
            try:
                yield from fn(self, *args, **kwargs)
            except REDIS_ERRORS:
                self.on_error(operation)
                raise StoreUnavailable(operation) from None

        return generator

    @functools.wraps(fn)
    def call(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except REDIS_ERRORS:
            self.on_error(operation)
            raise StoreUnavailable(operation) from None

    return call


def guarded(concept: str) -> Callable[[type], type]:
    """Decorate a store class: its public methods raise ``StoreUnavailable`` instead of Redis errors.

    The class must have an ``on_error(operation)`` attribute (the store passes the metrics' counter).
    """

    def decorate(cls: type) -> type:
        for name, value in list(vars(cls).items()):
            if name.startswith("_") or not inspect.isfunction(value):
                continue
            setattr(cls, name, _wrap(value, f"{concept}.{name}"))
        return cls

    return decorate


def ignore(operation: str) -> None:
    """The default ``on_error`` hook: count nothing."""
