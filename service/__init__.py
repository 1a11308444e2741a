"""The moderation HTTP service: ``create_app(config=None)`` wires settings, model, store and endpoints."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, g, request
from flask.json.provider import DefaultJSONProvider

from . import codec


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON (answers, request bodies) through ``service.codec``: compact UTF-8, keys in insertion order."""

    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return codec.dumps(obj) if not kwargs else super().dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return codec.loads(s) if not kwargs else super().loads(s, **kwargs)

    def response(self, *args: Any, **kwargs: Any):
        if self._app.debug:  # indented, as Flask writes it in debug mode
            return super().response(*args, **kwargs)
        body = codec.encode(self._prepare_response_obj(args, kwargs))
        return self._app.response_class(body + b"\n", mimetype=self.mimetype)


def blueprints() -> tuple[Blueprint, ...]:
    """Return the blueprints ``create_app`` registers: the API, the console, the drop-ins (their routes make the
    OpenAPI document, ``service.openapi``)."""
    from .api import admin, comments, events, health, queue, users, webhooks, words
    from .api import serving as serving_api
    from .compat import BLUEPRINTS as COMPAT_BLUEPRINTS
    from .console import bp as console_bp

    return (
        comments.bp,
        queue.bp,
        users.bp,
        events.bp,
        webhooks.bp,
        admin.bp,
        words.bp,
        health.bp,
        serving_api.bp,
        console_bp,
        *COMPAT_BLUEPRINTS,
    )


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Return the app: defaults, then MODERATION_* variables, then ``config``.

    Besides settings (see ``service.config.Settings``), ``config`` may hold
    ``clock`` (a function returning seconds since the epoch, for tests),
    ``redis`` (a client) and ``assessor`` (a loaded classifier facade, served
    as is; without it the active version of the model directory is served and
    followed as it changes).
    """
    from . import errors
    from .actions.context import Services
    from .auth import KeyCache
    from .config import load_settings
    from .events import EventRelay
    from .metrics import Metrics
    from .registry import open_registry
    from .serving import LiveModels, ShadowScorer
    from .store import Store, connect
    from .watch import ChangeWatcher
    from .webhooks import Deliverer

    settings, extras = load_settings(config)
    client = extras.get("redis")
    if client is None:
        if not settings.redis_url:
            raise RuntimeError("no Redis: set REDIS_URL (moderation serve starts an embedded Redis when it is unset)")
        client = connect(settings.redis_url, settings.redis_timeout_s)

    def queue_depths():
        return [(site, store.queue.depth(site)) for site in store.apikeys.sites()]

    metrics = Metrics(queue_depths)
    store = Store(
        client,
        history=settings.user_history,
        retention_s=settings.retention_days * 86400,
        full_s=settings.full_record_days * 86400,
        on_error=metrics.redis_error,
        wait_replicas=settings.redis_wait_replicas,
        wait_timeout_ms=settings.redis_wait_timeout_ms,
    )
    # An injected ``assessor`` (tests, embedding) is served as is; otherwise the model directory decides.
    fixed = extras.get("assessor")
    registry = (
        None if fixed is not None else open_registry(settings.model_registry, client, settings.models_root, settings.model_path)
    )

    def switched(old: str, new: str) -> None:
        metrics.model.labels(old).set(0)
        metrics.model.labels(new).set(1)

    models = LiveModels(
        registry, settings.rules_dir, settings.model_poll_s, fixed=fixed, on_switch=switched, encoder=settings.encoder
    )
    metrics.model.labels(models.assessor.version).set(1)
    clock = extras.get("clock", time.time)
    # The instance folder is given: Flask would look for it beside the top package, and an editable install's
    # namespace (moderation) has no folder of its own to look in. Nothing is kept there.
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent / "instance"))
    app.json = JSONProvider(app)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    watcher = ChangeWatcher(store.changes, settings.change_poll_s)
    services = app.extensions["moderation"] = Services(
        settings=settings,
        models=models,
        store=store,
        clock=clock,
        metrics=metrics,
        key_cache=KeyCache(settings.key_cache_s),
        shadow=ShadowScorer(models, store, metrics, clock),
        watcher=watcher,
    )
    watcher.subscribe("apikeys", services.key_cache.clear)
    watcher.subscribe("policies", services.forget_policies)
    watcher.subscribe("integrations", lambda: app.extensions.pop("coral_settings", None))
    watcher.subscribe("models", models.look_now)
    watcher.subscribe("rules", services.refresh_site_rules)
    relay = app.extensions["moderation_events"] = EventRelay(services, settings.event_relay_s)
    deliverer = app.extensions["moderation_webhooks"] = Deliverer(services, settings.webhook_poll_s)
    services.published = deliverer.wake
    errors.register(app)
    for blueprint in blueprints():
        app.register_blueprint(blueprint)

    @app.before_request
    def _start_timer():
        g.started = time.perf_counter()
        models.refresh()  # cheap; at most every model_poll_s seconds it reads the model directory
        watcher.ensure_running()  # cheap once running in this process
        relay.ensure_running()
        deliverer.ensure_running()

    @app.after_request
    def _count(response):
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        metrics.requests.labels(endpoint, request.method, str(response.status_code)).inc()
        metrics.latency.labels(endpoint).observe(time.perf_counter() - g.get("started", time.perf_counter()))
        return response

    return app
