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
    listing = sub.add_parser("list", help="list a site's keys (ids and roles, never the keys)")
    listing.add_argument("--site", required=True)
    revoke = sub.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("--site", required=True)
    revoke.add_argument("id")
    for p in (create, listing, revoke):
        p.add_argument("--redis-url", help="Redis to use (default: REDIS_URL, else the embedded one)")
    args = parser.parse_args(argv)
    from service.actions import admin
    from service.actions.errors import NotFound

    if not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", args.site):
        parser.error("--site must be 1 to 100 letters, digits, '.', '_' or '-'")
    with offline_services(args.redis_url) as services:
        if args.action == "create":
            key, key_id = admin.create_key(services, args.site, args.role, args.name)
            print(key)
            print(f"created key {key_id} ({args.role}) for site {args.site}", file=sys.stderr)
        elif args.action == "list":
            for k in admin.list_keys(services, args.site):
                print(f"{k['id']}  {k['role']:9s}  {k['name']}")
        else:
            try:
                admin.revoke_key(services, args.site, args.id)
            except NotFound:
                print(f"moderation keys: no key {args.id} on site {args.site}", file=sys.stderr)
                return 1
    return 0
