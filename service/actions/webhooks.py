"""A site's webhook endpoints: add one (its signing secret shown once), list, change, remove, see its deliveries,
send an event again (``service.webhooks`` delivers; docs/EVENTS.md)."""

from __future__ import annotations

from ..times import iso
from ..webhooks import new_secret, url_problem
from .context import Services
from .errors import Invalid, NotFound
from .events import CURSOR, EVENT_TYPES

#: Endpoints a site may have.
MAX_ENDPOINTS = 10


#: Longest endpoint URL and description.
URL_MAX, DESCRIPTION_MAX = 2000, 500
FIELDS = ("url", "types", "description", "enabled")


def _check(services: Services, data: object, creating: bool) -> dict:
    """Return the body's fields after checking each; ``Invalid`` naming every bad one."""
    if not isinstance(data, dict):
        raise Invalid([{"field": "(body)", "message": "must be a JSON object"}])
    problems = [{"field": str(k), "message": f"is not a field ({', '.join(FIELDS)})"} for k in data if k not in FIELDS]
    if "enabled" in data and creating:
        problems.append({"field": "enabled", "message": "is set after the endpoint is made (PATCH)"})
    url = data.get("url")
    if creating and url is None:
        problems.append({"field": "url", "message": "is required"})
    elif "url" in data:
        if not isinstance(url, str) or not 1 <= len(url) <= URL_MAX:
            problems.append({"field": "url", "message": f"must be a URL of 1 to {URL_MAX} characters"})
        else:
            problem = url_problem(url, services.settings.webhook_allow_private)
            if problem:
                problems.append({"field": "url", "message": problem})
    if "types" in data and data["types"] is not None:
        types = data["types"]
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            problems.append({"field": "types", "message": "must be a list of event types (empty or null: all)"})
        else:
            unknown = sorted(set(types) - set(EVENT_TYPES))
            if unknown:
                problems.append(
                    {"field": "types", "message": f"unknown types {', '.join(unknown)}; one of {', '.join(EVENT_TYPES)}"}
                )
    description = data.get("description")
    if description is not None and (
        not isinstance(description, str) or len(description) > DESCRIPTION_MAX or not description.isprintable()
    ):
        problems.append({"field": "description", "message": f"must be printable text of at most {DESCRIPTION_MAX} characters"})
    if "enabled" in data and not creating and not isinstance(data["enabled"], bool):
        problems.append({"field": "enabled", "message": "must be true or false"})
    if problems:
        raise Invalid(problems)
    return data


def _shown(endpoint_id: str, record: dict) -> dict:
    return {
        "id": endpoint_id,
        "url": record["url"],
        "types": list(record.get("types") or []),
        "description": record.get("description") or "",
        "enabled": bool(record.get("enabled", True)),
        "disabled": record.get("disabled"),
        "created_at": iso(record.get("created_at")),
    }


def create(services: Services, site: str, data: object) -> dict:
    """Add an endpoint; its first events are those published after it; the answer carries the secret, once."""
    data = _check(services, data, creating=True)
    store = services.store
    if len(store.webhooks.all(site)) >= MAX_ENDPOINTS:
        raise Invalid([{"field": "url", "message": f"a site has at most {MAX_ENDPOINTS} endpoints"}])
    newest = store.events.newest(site)
    record = {
        "url": data["url"],
        "types": sorted(set(data.get("types") or ())),
        "description": data.get("description") or "",
        "secret": new_secret(),
        "enabled": True,
        "disabled": None,
        "created_at": services.clock(),
    }
    endpoint_id = store.webhooks.create(site, record, newest or "0-0")
    return {**_shown(endpoint_id, record), "secret": record["secret"]}


def _record(services: Services, site: str, endpoint_id: str) -> dict:
    record = services.store.webhooks.get(site, endpoint_id)
    if record is None:
        raise NotFound(f"no webhook endpoint {endpoint_id!r} on this site")
    return record


def listing(services: Services, site: str) -> list[dict]:
    """Every endpoint of the site (no secrets)."""
    return [_shown(i, r) for i, r in sorted(services.store.webhooks.all(site).items())]


def view(services: Services, site: str, endpoint_id: str, attempts: int = 20) -> dict:
    """One endpoint, where its deliveries stand and its latest attempts (newest first)."""
    record = _record(services, site, endpoint_id)
    store = services.store.webhooks
    state = store.state(site, endpoint_id)
    return {
        **_shown(endpoint_id, record),
        "delivery": {
            "cursor": state["cursor"],
            "attempts": state["attempts"],
            "next_attempt_at": iso(state["next_at"]) if state["next_at"] else None,
            "failing_since": iso(state["failing_since"]) if state["failing_since"] else None,
        },
        "deliveries": [{**a, "at": iso(a.get("at"))} for a in store.attempts(site, endpoint_id, attempts)],
    }


def change(services: Services, site: str, endpoint_id: str, data: object) -> dict:
    """Change an endpoint's URL, types, description or whether it is on (turning it on again clears why it was off)."""
    data = _check(services, data, creating=False)
    record = _record(services, site, endpoint_id)
    for key in ("url", "description"):
        if key in data:
            record[key] = data[key] or ""
    if "types" in data:
        record["types"] = sorted(set(data["types"] or ()))
    if "enabled" in data:
        record["enabled"] = bool(data["enabled"])
        if record["enabled"]:
            record["disabled"] = None
    services.store.webhooks.put(site, endpoint_id, record)
    services.published()
    return _shown(endpoint_id, record)


def remove(services: Services, site: str, endpoint_id: str) -> None:
    """Forget an endpoint and its deliveries."""
    if not services.store.webhooks.delete(site, endpoint_id):
        raise NotFound(f"no webhook endpoint {endpoint_id!r} on this site")


def redeliver(services: Services, site: str, endpoint_id: str, event_id: object) -> dict:
    """Send an event of the log to the endpoint again (once more, whatever happened before)."""
    _record(services, site, endpoint_id)
    if not isinstance(event_id, str) or not CURSOR.fullmatch(event_id):
        raise Invalid([{"field": "event_id", "message": "must be an event id from the feed (<digits>-<digits>)"}])
    if services.store.events.get(site, event_id) is None:
        raise NotFound(f"no event {event_id!r} in the site's log (kept for the policy's events_retention_s)")
    services.store.webhooks.redeliver(site, endpoint_id, event_id)
    services.published()
    return {"id": endpoint_id, "event_id": event_id, "queued": True}
