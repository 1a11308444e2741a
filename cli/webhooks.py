"""``moderation webhooks``: add, list, show, turn off and on, remove a site's webhook endpoints, and redeliver."""

from __future__ import annotations

import argparse
import json
import re
import sys

from .common import offline_services


def webhooks(argv: list[str]) -> int:
    """Manage webhook endpoints: ``moderation webhooks add --site S --url U`` prints the signing secret, once."""
    parser = argparse.ArgumentParser(prog="moderation webhooks", description="Manage a site's webhook endpoints.")
    sub = parser.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="add an endpoint; prints its signing secret (and nothing else) on stdout, once")
    add.add_argument("--url", required=True)
    add.add_argument("--types", default="", help="comma-separated event types (default: all)")
    add.add_argument("--description", default="")
    listing = sub.add_parser("list", help="list the site's endpoints (never their secrets)")
    show = sub.add_parser("show", help="an endpoint, where its deliveries stand and its latest attempts (JSON)")
    show.add_argument("id")
    on = sub.add_parser("enable", help="turn an endpoint on again (it goes on from where it stopped)")
    on.add_argument("id")
    off = sub.add_parser("disable", help="turn an endpoint off (its events wait)")
    off.add_argument("id")
    remove = sub.add_parser("remove", help="remove an endpoint and its delivery log")
    remove.add_argument("id")
    again = sub.add_parser("redeliver", help="send one event of the feed to an endpoint again")
    again.add_argument("id")
    again.add_argument("event_id")
    for p in (add, listing, show, on, off, remove, again):
        p.add_argument("--site", required=True)
        p.add_argument("--redis-url", help="Redis to use (default: REDIS_URL, else the embedded one)")
    args = parser.parse_args(argv)
    from moderation.service.actions import webhooks as actions
    from moderation.service.actions.errors import Invalid, NotFound

    if not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", args.site):
        parser.error("--site must be 1 to 100 letters, digits, '.', '_' or '-'")
    with offline_services(args.redis_url) as services:
        try:
            if args.action == "add":
                types = [t.strip() for t in args.types.split(",") if t.strip()]
                made = actions.create(services, args.site, {"url": args.url, "types": types, "description": args.description})
                print(made["secret"])
                print(f"added endpoint {made['id']} for site {args.site}: {made['url']}", file=sys.stderr)
            elif args.action == "list":
                for w in actions.listing(services, args.site):
                    state = "on" if w["enabled"] else f"off ({w['disabled'] or 'turned off'})"
                    print(f"{w['id']}  {state:8s}  {','.join(w['types']) or 'all types':24s}  {w['url']}  {w['description']}")
            elif args.action == "show":
                print(json.dumps(actions.view(services, args.site, args.id), indent=2, ensure_ascii=False))
            elif args.action in ("enable", "disable"):
                actions.change(services, args.site, args.id, {"enabled": args.action == "enable"})
            elif args.action == "remove":
                actions.remove(services, args.site, args.id)
            else:
                actions.redeliver(services, args.site, args.id, args.event_id)
                print(f"queued {args.event_id} for {args.id}; a running service sends it", file=sys.stderr)
        except NotFound as error:
            print(f"moderation webhooks: {error}", file=sys.stderr)
            return 1
        except Invalid as error:
            for field in error.fields:
                print(f"moderation webhooks: {field['field']} {field['message']}", file=sys.stderr)
            return 2
    return 0
