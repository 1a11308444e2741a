"""Prometheus metrics: requests and latency by endpoint, verdicts, queue depth, Redis errors.

Under gunicorn every worker counts in its own files in a shared directory
(``PROMETHEUS_MULTIPROC_DIR``, set by ``moderation serve``) and ``/metrics``
adds them up, so any worker's answer covers all of them.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from .store.errors import StoreUnavailable

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    """The service's counters and histograms, on a registry of its own."""

    def __init__(self, queue_depths=None):
        self.registry = CollectorRegistry()
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        r = self.registry
        self.requests = Counter("moderation_requests", "HTTP requests", ["endpoint", "method", "status"], registry=r)
        self.latency = Histogram("moderation_request_seconds", "HTTP request latency", ["endpoint"], buckets=_BUCKETS, registry=r)
        self.verdicts = Counter("moderation_verdicts", "Verdicts given to submitted comments", ["verdict"], registry=r)
        self.flags = Counter("moderation_flagged", "Submitted comments flagged, by category", ["category"], registry=r)
        self.redis_errors = Counter("moderation_redis_errors", "Redis calls that failed", ["operation"], registry=r)
        self.degraded = Counter("moderation_store_unavailable", "Comments answered without the store", registry=r)
        self.model = Gauge("moderation_model_info", "The loaded model", ["version"], registry=r, multiprocess_mode="max")
        self.shadow = Counter(
            "moderation_shadow_comparisons",
            "New comments scored by the shadow model too, by the active and the shadow verdict",
            ["shadow_version", "active_verdict", "shadow_verdict"],
            registry=r,
        )
        self.shadow_dropped = Counter("moderation_shadow_dropped", "Shadow comparisons skipped (queue full)", registry=r)
        self.rate_limited = Counter("moderation_rate_limited", "Requests refused by a rate limit (429)", ["api"], registry=r)
        self.rate_limit_unchecked = Counter(
            "moderation_rate_limit_unchecked", "Requests let through unchecked: Redis was unavailable", ["api"], registry=r
        )
        self.shed = Counter("moderation_shed", "Requests refused at once because the worker was overloaded (503)", registry=r)
        self._queue_depths = queue_depths

    def redis_error(self, operation: str) -> None:
        """Count a failed Redis call."""
        self.redis_errors.labels(operation).inc()

    def render(self) -> bytes:
        """Return the text exposition of every metric (all workers' when under gunicorn)."""
        if self.multiprocess:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        else:
            registry = self.registry
        text = generate_latest(registry)
        if self._queue_depths is not None:
            extra = CollectorRegistry()
            extra.register(_QueueCollector(self._queue_depths, self))
            text += generate_latest(extra)
        return text


class _QueueCollector:
    """Queue depth per site, read from Redis at scrape time."""

    def __init__(self, depths, metrics: Metrics):
        self.depths = depths
        self.metrics = metrics

    def collect(self):
        family = GaugeMetricFamily("moderation_queue_depth", "Comments waiting for review", labels=["site"])
        try:
            for site, depth in self.depths():
                family.add_metric([site], depth)
        except StoreUnavailable:
            pass  # a scrape must not fail because Redis is down; the store counted the failure
        yield family
