"""Every Redis key name, in one place, under one prefix.

Keys of one (site, user) share the hash tag ``{s:<site>:u:<user>}`` and keys of
one site share ``{s:<site>}``, so each multi-key script touches one Redis
Cluster slot and the code runs on a cluster unchanged. Identifiers from
clients are percent-encoded, so no id can end a hash tag early or make two
different keys look the same.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from urllib.parse import quote, unquote

PREFIX = "mod"


@lru_cache(maxsize=65536)  # the same sites and users come again and again
def _id(value: str) -> str:
    return quote(value, safe="")


def api_key(digest: str) -> str:
    """Hash of one API key: site, role, name, created_at (the key itself is never stored)."""
    return f"{PREFIX}:apikey:{digest}"


def api_keys(site: str) -> str:
    """Set of the key digests of a site."""
    return f"{PREFIX}:{{s:{_id(site)}}}:apikeys"


class UserKeys:
    """The keys of one (site, user)."""

    def __init__(self, site: str, user: str):
        self.tag = f"{PREFIX}:{{s:{_id(site)}:u:{_id(user)}}}"

    @property
    def strikes(self) -> str:
        """Sorted set: comment id -> expiry time of the strike it caused."""
        return f"{self.tag}:strikes"

    @property
    def strike_info(self) -> str:
        """Hash: comment id -> JSON {weight, categories, reason, at}."""
        return f"{self.tag}:strike"

    @property
    def ban(self) -> str:
        """Hash: until (0 = for good), reason, by, at, auto, threshold."""
        return f"{self.tag}:ban"

    @property
    def history(self) -> str:
        """List of recent events (JSON), newest first, capped."""
        return f"{self.tag}:history"

    @property
    def comments(self) -> str:
        """List of recent comment ids, newest first, capped."""
        return f"{self.tag}:comments"

    @property
    def actions(self) -> str:
        """Counter: bans, unbans and strike resets so far (numbers their audit entries, which live in the site's slot)."""
        return f"{self.tag}:actions"

    @property
    def outbox(self) -> str:
        """Stream: events of this user's changes not yet published to the site's event log (``service.events``),
        written by the script that makes the change, in the same step."""
        return f"{self.tag}:outbox"

    @property
    def records(self) -> str:
        """Hash: the lasting record of each of the user's comments, by 8 bytes of the comment id's SHA-1, packed in
        about 20 bytes (``scripts/_records.lua``); field ``~``: when the next sweep of records past their term is due."""
        return f"{self.tag}:r"

    @property
    def full(self) -> str:
        """Hash: the full record of each of the user's comments still in its review period (its text and fields,
        exact scores, evidence spans), by the same 8 bytes, packed (``scripts/_records.lua``); ``~`` as above, ``~p``:
        how many wait for review."""
        return f"{self.tag}:f"

    def undo(self, comment_id: str) -> str:
        """String: what undoing the latest decision on a comment puts back (JSON), for the undo window."""
        return f"{self.tag}:u:{_id(comment_id)}"

    def comment(self, comment_id: str) -> str:
        """Hash: a comment's record in the legacy format (before issue 24: one hash per comment holding everything);
        rewritten as a lasting and a full record the first time a script reads it."""
        return f"{self.tag}:c:{_id(comment_id)}"

    def all(self) -> list[str]:
        """Return the keys a user script needs, in the scripts' KEYS order."""
        return [self.strikes, self.strike_info, self.ban, self.history, self.comments, self.outbox]


class SiteKeys:
    """The keys of one site."""

    def __init__(self, site: str):
        self.tag = f"{PREFIX}:{{s:{_id(site)}}}"

    def legacy_claim(self, comment_id: str) -> str:
        """String "<user>\\n<text sha>": a claim written before issue 24 (``moderation migrate`` moves them)."""
        return f"{self.tag}:cid:{_id(comment_id)}"

    @property
    def queue(self) -> str:
        """Sorted set of pending comment ids, scored by priority (lower first)."""
        return f"{self.tag}:queue"

    @property
    def items(self) -> str:
        """Hash: comment id -> JSON of what a moderator needs to see."""
        return f"{self.tag}:items"

    @property
    def leases(self) -> str:
        """Sorted set: claimed comment id -> lease expiry."""
        return f"{self.tag}:leases"

    @property
    def lease_owners(self) -> str:
        """Hash: claimed comment id -> moderator."""
        return f"{self.tag}:owners"

    @property
    def audit(self) -> str:
        """Stream: every moderator decision and user action, append-only, trimmed to the retention."""
        return f"{self.tag}:audit"

    @property
    def labels(self) -> str:
        """Hash: comment id -> JSON training label from the latest decision; kept for the retention (a sweep drops
        older ones: ``moderation export-labels`` keeps them longer)."""
        return f"{self.tag}:labels"

    @property
    def recorded(self) -> str:
        """Hash: comment id -> "<number> <time>" of the latest decision recorded in the audit log and labels;
        "user\\n<user id>" -> the same of the latest ban, unban or reset recorded in the audit log. Kept a day."""
        return f"{self.tag}:recorded"

    @property
    def sweeps(self) -> str:
        """Hash: where each sweep of the site's growing hashes stands (HSCAN cursors: labels, recorded, published)."""
        return f"{self.tag}:sweeps"

    @property
    def policy(self) -> str:
        """String: the site's strike policy (JSON), when it overrides the default."""
        return f"{self.tag}:policy"

    @property
    def integrations(self) -> str:
        """Hash: integration name (``coral``) -> JSON of its settings for this site."""
        return f"{self.tag}:integrations"

    @property
    def shadow_counts(self) -> str:
        """Hash: "<shadow version>|<active verdict>|<shadow verdict>" -> comments compared."""
        return f"{self.tag}:shadow:counts"

    @property
    def shadow_disagreements(self) -> str:
        """List of recent disagreements between the active and the shadow model (JSON), newest first, capped."""
        return f"{self.tag}:shadow:disagreements"

    @property
    def words(self) -> str:
        """Hash: the site's own list entries, pattern -> JSON {severity, category, note, added_by, added_at}."""
        return f"{self.tag}:words"

    @property
    def words_version(self) -> str:
        """Counter: moves with every change of the site's lists (what each process compiled is compared with it)."""
        return f"{self.tag}:words:v"

    @property
    def events(self) -> str:
        """Stream: the site's event log (``service.events``), oldest first, trimmed to the site's retention."""
        return f"{self.tag}:events"

    @property
    def events_published(self) -> str:
        """Hash: user id -> id of the last entry of that user's outbox published to the event log (once each)."""
        return f"{self.tag}:events:published"

    @property
    def events_pending(self) -> str:
        """Hash: user id -> "<time> <token>": a change of that user is under way, whose events the relay publishes
        if the process making it stops before it does."""
        return f"{self.tag}:events:pending"

    @property
    def events_floor(self) -> str:
        """String: id of the newest event trimmed from the log (a cursor older than it has missed events)."""
        return f"{self.tag}:events:floor"

    @property
    def webhooks(self) -> str:
        """Hash: webhook endpoint id -> JSON {url, types, secret, description, enabled, disabled, created_at}."""
        return f"{self.tag}:webhooks"

    def webhook(self, endpoint_id: str, part: str) -> str:
        """One endpoint's delivery keys: ``state`` (hash: cursor, attempts, next_at, failing_since), ``log`` (list of
        the latest attempts, JSON, newest first), ``redeliver`` (list of event ids to send again), ``lease`` (string:
        the process delivering to it)."""
        return f"{self.tag}:wh:{_id(endpoint_id)}:{part}"

    def stats(self, hour: int) -> str:
        """Hash: counts of one hour (seconds since the epoch // 3600): all, verdict:<v>, category:<c>."""
        return f"{self.tag}:stats:{hour}"

    def queue_keys(self) -> list[str]:
        """Return the keys the queue scripts need, in their KEYS order."""
        return [self.queue, self.items, self.leases, self.lease_owners]


#: Shards of a site's comment id claims: each is a hash tag of its own, so one very large site's claims spread over
#: the cluster's slots instead of filling its own.
CLAIM_SHARDS = 16


def id_digest(comment_id: str) -> str:
    """Return the SHA-1 (hex) of a comment id, as the scripts compute it (``redis.sha1hex``)."""
    return hashlib.sha1(comment_id.encode("utf-8")).hexdigest()


def claims(site: str, digest: str) -> str:
    """The prefix of the claim keys of one shard of a site (``scripts/claim_id.lua``), chosen by the id's digest:
    ``<prefix>:m`` (hash: per period, its bucket counts and claims made) and ``<prefix>:<period>:<bucket>`` (hash:
    8 bytes of the id's digest -> user id)."""
    return f"{PREFIX}:{{s:{_id(site)}:i{int(digest[0], 16) % CLAIM_SHARDS}}}"


#: The pattern of every legacy claim key (``SiteKeys.legacy_claim``), for ``moderation migrate``'s SCAN.
LEGACY_CLAIMS = f"{PREFIX}:{{s:*}}:cid:*"


def legacy_claim_parts(key: str) -> tuple[str, str]:
    """Return (site, comment id) of a legacy claim key, ``mod:{s:<site>}:cid:<id>`` (both percent-encoded)."""
    tag, _, comment_id = key.partition("}:cid:")
    return unquote(tag[len(f"{PREFIX}:{{s:") :]), unquote(comment_id)


#: Hash: model version -> its number in the lasting records (2 bytes there instead of the version), ``#<n>`` -> the
#: version of number n, ``#`` -> the last number given.
MODEL_NUMBERS = f"{PREFIX}:model:numbers"

#: Hash: ``comments`` -> ``2`` once no claim of the legacy format is left (set when a store starts empty, and by
#: ``moderation migrate`` when it has moved every one); ``migrate`` -> the migration's SCAN cursor, to resume.
FORMAT = f"{PREFIX}:format"


def console_session(digest: str) -> str:
    """String: one console sign-in session (JSON: site, role, key id, moderator, CSRF token), by the id's SHA-256."""
    return f"{PREFIX}:console:session:{digest}"


#: Set of every site that has API keys (for metrics and exports).
SITES = f"{PREFIX}:sites"

#: Set of the sites that have webhook endpoints (the deliverer looks at them only).
WEBHOOK_SITES = f"{PREFIX}:webhooks:sites"

#: String: which process holds the event relay's lease (it sweeps every site's unfinished changes).
EVENT_RELAY_LEASE = f"{PREFIX}:events:relay"

#: Hash of change counters, one per topic (``apikeys``, ``policies``, ``integrations``, ``models``, ``rules``): every instance polls it and
#: drops its cached copies of what changed (``service.watch``).
CHANGES = f"{PREFIX}:changes"


def bucket(site: str, key_id: str) -> str:
    """Hash: the token bucket of one API key (``tokens``, ``at`` in ms), in the site's slot."""
    return f"{SiteKeys(site).tag}:bucket:{_id(key_id)}"


class ModelKeys:
    """The shared model registry (``service.registry``): one hash tag, so every change is one transaction."""

    tag = f"{PREFIX}:{{models}}"
    #: Hash: ``active`` / ``shadow`` -> version.
    pointers = f"{tag}:pointers"
    #: Hash: version -> JSON {sha256, size, card summary, published_at}.
    versions = f"{tag}:versions"
    #: List of JSON events (publish, rollback, shadow, refused), oldest first.
    history = f"{tag}:history"

    @staticmethod
    def blob(version: str) -> str:
        """String: the artifact's bytes of one version (never changed once written)."""
        return f"{ModelKeys.tag}:blob:{_id(version)}"
