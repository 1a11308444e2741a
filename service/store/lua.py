"""The Lua scripts: registered once, called with named arguments.

Each script declares its arguments once, on a line of its own header::

    --! args: comment_id sha now ...

(a last name written ``...rest`` takes every remaining value as a list). The
Lua reads ``ARG.comment_id``; the loader rewrites each such name to its
``ARGV[i]`` before registering the script (so naming costs nothing when it
runs; a rest argument becomes a table built once), and Python calls
``scripts.call("submit", keys, comment_id=..., sha=..., now=...)``. A missing or
unknown name is a ``TypeError`` before Redis is reached, and values are packed
here and nowhere else: dicts and lists as compact JSON (``service.codec``), booleans as 1/0,
None as the empty string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import redis

from .. import codec

SCRIPTS_DIR = Path(__file__).with_name("scripts")
#: The functions shared by the scripts that change one (site, user), prepended to them.
PRELUDE = "_user.lua"
#: Scripts that start with the prelude.
USER_SCRIPTS = ("submit", "apply_decision", "change_user", "user_state", "read_comment")
#: The functions of a comment's records, prepended (after the first prelude) to the scripts that use them.
RECORDS_PRELUDE = "_records.lua"
RECORD_SCRIPTS = ("submit", "apply_decision", "read_comment")
#: The functions shared by the scripts that keep a site's growing hashes bounded, and the scripts they start.
SITE_PRELUDE = "_site.lua"
SITE_SCRIPTS = ("record_decision", "record_action", "publish_events")

_ARGS_LINE = re.compile(r"^--! args:(.*)$", re.MULTILINE)
_NAME = re.compile(r"^(\.\.\.)?[a-z_][a-z0-9_]*$")
_ARG_USE = re.compile(r"\bARG\.([A-Za-z_][A-Za-z0-9_]*)")


def declared_args(body: str, name: str = "script") -> tuple[tuple[str, ...], str | None]:
    """Return (the names of a script's fixed arguments, the name of its rest argument or None)."""
    found = _ARGS_LINE.findall(body)
    if len(found) != 1:
        raise ValueError(f"{name}: needs exactly one '--! args:' line")
    names = found[0].split()
    if not all(_NAME.match(n) for n in names) or any(n.startswith("...") for n in names[:-1]):
        raise ValueError(f"{name}: bad argument names {names}")
    if names and names[-1].startswith("..."):
        return tuple(names[:-1]), names[-1][3:]
    return tuple(names), None


def _bind(body: str, fixed: Sequence[str], rest: str | None) -> str:
    """Return the script with ``ARG.<name>`` read from ``ARGV`` by position."""
    position = {name: i for i, name in enumerate(fixed, 1)}

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name in position:
            return f"ARGV[{position[name]}]"
        if name == rest:
            return "ARG_REST"
        raise ValueError(f"ARG.{name} is not a declared argument")

    bound = _ARG_USE.sub(replace, body)
    if rest:
        bound = f"local ARG_REST = {{}}\nfor i = {len(fixed) + 1}, #ARGV do ARG_REST[#ARG_REST + 1] = ARGV[i] end\n" + bound
    return bound


#: Argument types that go to Redis as they are.
_AS_IS = frozenset((str, int, float))


def pack(value: Any) -> Any:
    """Return ``value`` as one script argument."""
    kind = type(value)
    if kind in _AS_IS:
        return value
    if value is None:
        return ""
    if kind is bool:
        return 1 if value else 0
    if kind is dict or kind is list or kind is tuple or isinstance(value, Mapping):
        return codec.encode(value if kind is dict or kind is list or kind is tuple else dict(value))
    return value


class NotReplicated(redis.RedisError):
    """A strike-changing write that fewer replicas than asked for confirmed in time (``WAIT``): done on the primary,
    not acknowledged as stored, since a failover could still lose it."""


#: Scripts that change a user's strikes or ban: with ``wait_replicas``, each is followed by ``WAIT``.
STRIKE_SCRIPTS = frozenset(("submit", "apply_decision", "change_user"))
#: What a cluster node answers when the slot moved or has no primary (the client's slot map is out of date).
_MOVED = (
    redis.exceptions.MovedError,
    redis.exceptions.AskError,
    redis.exceptions.ClusterDownError,
    redis.exceptions.TryAgainError,
)


class Script:
    """One registered script and its declared arguments."""

    def __init__(self, client: redis.Redis, name: str, body: str):
        self.name = name
        self.replicated: Any = None  # set by Scripts for STRIKE_SCRIPTS when it waits for replicas
        self.fixed, self.rest = declared_args(body, name)
        self._names = frozenset(self.fixed) | ({self.rest} if self.rest else frozenset())
        self._registered = client.register_script(_bind(body, self.fixed, self.rest))

    def __call__(self, keys: Sequence[str], **args: Any) -> Any:
        return self.run(keys, args)

    def run(self, keys: Sequence[str], args: Mapping[str, Any], pipe: Any = None) -> Any:
        """Run the script on ``keys`` with ``args`` (every declared name, no other); with ``pipe`` (a pipeline of a
        single Redis), queue it there instead."""
        try:
            if len(args) != len(self._names):
                raise KeyError
            # With as many names as declared, a missing one is a KeyError here, and so is an unknown one.
            values = [v if type(v) in _AS_IS else pack(v) for v in map(args.__getitem__, self.fixed)]
            if self.rest:
                values.extend(pack(v) for v in args[self.rest])
        except KeyError:
            missing = sorted(self._names - args.keys())
            unknown = sorted(args.keys() - self._names)
            raise TypeError(f"script {self.name}: missing arguments {missing}, unknown arguments {unknown}") from None
        if pipe is not None:
            return self._registered(keys=keys, args=values, client=pipe)
        if self.replicated is not None:
            return self.replicated(self._registered, keys, values)
        return self._registered(keys=keys, args=values)


class Scripts:
    """Every Lua script of ``scripts/``, registered once on one client.

    With ``wait_replicas`` > 0, each script of ``STRIKE_SCRIPTS`` is sent with
    ``WAIT wait_replicas wait_timeout_ms`` behind it on the same connection (the
    node of its keys' slot): the answer comes once that many replicas have the
    write, and ``NotReplicated`` (a Redis error: the store is "unavailable" for
    that request) when fewer confirmed it in time.
    """

    def __init__(self, client: redis.Redis, directory: Path = SCRIPTS_DIR, wait_replicas: int = 0, wait_timeout_ms: int = 100):
        self.client = client
        self.wait_replicas = wait_replicas
        self.wait_timeout_ms = wait_timeout_ms
        prelude = (directory / PRELUDE).read_text(encoding="utf-8")
        site_prelude = (directory / SITE_PRELUDE).read_text(encoding="utf-8")
        records_prelude = (directory / RECORDS_PRELUDE).read_text(encoding="utf-8")
        self._scripts: dict[str, Script] = {}
        for path in sorted(directory.glob("*.lua")):
            if path.name.startswith("_"):
                continue
            body = path.read_text(encoding="utf-8")
            if path.stem in RECORD_SCRIPTS:
                body = records_prelude + "\n" + body
            if path.stem in USER_SCRIPTS:
                body = prelude + "\n" + body
            elif path.stem in SITE_SCRIPTS:
                body = site_prelude + "\n" + body
            self._scripts[path.stem] = Script(client, path.stem, body)
            if wait_replicas > 0 and path.stem in STRIKE_SCRIPTS:
                self._scripts[path.stem].replicated = self._replicated

    def _node(self, key: str) -> redis.Redis:
        """The client of the node that serves ``key`` (the client itself for a single Redis)."""
        if isinstance(self.client, redis.RedisCluster):
            return self.client.get_node_from_key(key).redis_connection
        return self.client

    def _replicated(self, script, keys: Sequence[str], values: list) -> Any:
        for attempt in (1, 2):
            pipe = self._node(keys[0]).pipeline(transaction=False)
            script(keys=keys, args=values, client=pipe)
            pipe.execute_command("WAIT", self.wait_replicas, self.wait_timeout_ms)
            try:
                result, acknowledged = pipe.execute()
            except (*_MOVED, redis.ConnectionError, redis.TimeoutError):
                # a failover moved the slot: read the slot map again and send it once more (the scripts are idempotent)
                if attempt == 2 or not isinstance(self.client, redis.RedisCluster):
                    raise
                self.client.nodes_manager.initialize()
                continue
            if acknowledged < self.wait_replicas:
                raise NotReplicated(f"{acknowledged} of {self.wait_replicas} replicas confirmed the write in time")
            return result
        raise AssertionError("unreachable")

    def call(self, name: str, keys: Sequence[str], **args: Any) -> Any:
        """Run script ``name`` on ``keys`` with its declared arguments."""
        return self._scripts[name].run(keys, args)

    def queue(self, pipe: Any, name: str, keys: Sequence[str], **args: Any) -> None:
        """Queue script ``name`` in ``pipe``, a pipeline of a single Redis (bulk loads: the benchmarks)."""
        self._scripts[name].run(keys, args, pipe)

    def __contains__(self, name: str) -> bool:
        return name in self._scripts
