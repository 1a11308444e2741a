"""``moderation keys``: create, list and revoke a site's API keys in Redis."""

from __future__ import annotations

import argparse
import re
import sys

from .common import offline_services


def keys(argv: list[str]) -> int:
    """Manage API keys: ``moderation keys create --site S --role R`` prints the new key."""
    parser = argparse.ArgumentParser(prog="moderation keys", description="Manage API keys.")
    sub = parser.add_subparsers(dest="action", required=True)
    create = sub.add_parser("create", help="create a key; prints it (and nothing else) on stdout, once")
    create.add_argument("--site", required=True)
    create.add_argument("--role", required=True, choices=["site", "moderator", "admin"])
    create.add_argument("--name", default="")
    limit = sub.add_parser("limit", help="set a key's own rate limit (--per-s and --burst), or --none for the site's")
    limit.add_argument("--site", required=True)
    limit.add_argument("id")
    limit.add_argument("--none", action="store_true", help="drop the key's own limit: the site's applies")
    for p in (create, limit):
        p.add_argument("--per-s", type=float, help="the key's own rate limit: requests a second (with --burst)")
        p.add_argument("--burst", type=int, help="the key's own rate limit: requests at once (with --per-s)")
    listing = sub.add_parser("list", help="list a site's keys (ids and roles, never the keys)")
    listing.add_argument("--site", required=True)
    revoke = sub.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("--site", required=True)
    revoke.add_argument("id")
    for p in (create, listing, revoke, limit):
        p.add_argument("--redis-url", help="Redis to use (default: REDIS_URL, else the embedded one)")
    args = parser.parse_args(argv)
    from moderation.service.actions import admin
    from moderation.service.actions.errors import Invalid, NotFound
    from moderation.service.config import RateLimit

    if not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", args.site):
        parser.error("--site must be 1 to 100 letters, digits, '.', '_' or '-'")
    rate = None
    if args.action in ("create", "limit"):
        if (args.per_s is None) != (args.burst is None) or (args.action == "limit" and args.none == (args.per_s is not None)):
            parser.error("give --per-s and --burst together" + (", or --none" if args.action == "limit" else ""))
        if args.per_s is not None:
            try:
                rate = RateLimit(args.per_s, args.burst)
            except ValueError as error:
                parser.error(str(error))
    with offline_services(args.redis_url) as services:
        if args.action == "create":
            key, key_id = admin.create_key(services, args.site, args.role, args.name, rate)
            print(key)
            print(f"created key {key_id} ({args.role}) for site {args.site}", file=sys.stderr)
        elif args.action == "list":
            for k in admin.list_keys(services, args.site):
                own = k["rate_limit"]
                shown = f"{own['per_s']:g}/s burst {own['burst']}" if own else "site's limit"
                print(f"{k['id']}  {k['role']:9s}  {shown:24s}  {k['name']}")
        elif args.action == "limit":
            try:
                admin.limit_key(services, args.site, args.id, rate)
            except (NotFound, Invalid):
                print(f"moderation keys: no key {args.id} on site {args.site}", file=sys.stderr)
                return 1
        else:
            try:
                admin.revoke_key(services, args.site, args.id)
            except NotFound:
                print(f"moderation keys: no key {args.id} on site {args.site}", file=sys.stderr)
                return 1
    return 0
