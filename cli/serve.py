"""``moderation serve``: the HTTP service under gunicorn (never Flask's development server).

The gunicorn settings are ``service/gunicorn_conf.py``'s (from the ``MODERATION_*`` settings), with
``--bind``, ``--workers`` and ``--threads`` on top. With no Redis configured, an embedded redis-server
(``<data dir>/redis``) runs for as long as the service does: it is started again if it dies, stopped with the
service however the service ends, and a server left running on the directory by a crashed instance is stopped
before ours starts (``service.redis_server``). One instance per address and per data directory
(``service.instance``): a second one exits at once with one line saying which is taken.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from moderation.service.config import Settings

from .common import settings


def serve(argv: list[str]) -> int:
    """Run the service under gunicorn (never the Flask development server)."""
    config = settings()
    parser = argparse.ArgumentParser(prog="moderation serve", description="Run the HTTP service under gunicorn.")
    parser.add_argument("--bind", default=config.bind, help=f"HOST:PORT (default: MODERATION_BIND, else {Settings.bind})")
    parser.add_argument("--workers", type=int, help="worker processes (default: MODERATION_WORKERS, else one per CPU)")
    parser.add_argument("--threads", type=int, help=f"threads per worker (default: MODERATION_THREADS, else {Settings.threads})")
    args = parser.parse_args(argv)
    from moderation.service.instance import InUse, claim

    try:  # before anything starts: a second instance on a busy address or data directory stops here
        claim(args.bind, config.data_dir)
    except InUse as error:
        print(f"moderation serve: {error}", file=sys.stderr)
        return 1
    from gunicorn.app.base import BaseApplication

    from moderation.service import (
        gunicorn_conf,  # sets PROMETHEUS_MULTIPROC_DIR and empties that folder, before the app is loaded
    )
    from moderation.service.redis_server import RedisServer, RedisServerError

    app_config = {}
    embedded = None
    if not config.redis_url:
        embedded = RedisServer(Path(config.data_dir) / "redis")
        try:  # this instance holds the data directory: a server still running there was left by a crashed one
            embedded.start(take_over=True)
        except RedisServerError as error:
            print(f"moderation serve: {error}", file=sys.stderr)
            return 1
        embedded.supervise(lambda line: print(f"moderation serve: {line}", file=sys.stderr, flush=True))
        app_config["redis_url"] = embedded.url
        print(f"moderation serve: embedded Redis at {embedded.url} (append-only file in {embedded.data_dir})", file=sys.stderr)
    options = {k: v for k, v in vars(gunicorn_conf).items() if not k.startswith("_")}
    options["bind"] = args.bind
    if args.workers:
        options["workers"] = args.workers
    if args.threads:
        options["threads"] = args.threads

    class Application(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                if key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self):
            from moderation.service import create_app

            return create_app(app_config)

    try:
        Application().run()
    finally:
        if embedded is not None:
            embedded.stop()
    return 0
