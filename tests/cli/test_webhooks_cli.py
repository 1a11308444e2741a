"""``moderation webhooks``: the CLI manages the same endpoints as the API (issue 23)."""

from __future__ import annotations

import json

from moderation.cli.main import main as cli

from .conftest import auth


def test_add_list_show_disable_enable_redeliver_remove(redis_url, redis_client, make_app, keys, capsys, monkeypatch):
    app = make_app(webhook_poll_s=0)
    client = app.test_client()
    run = ["--site", "news", "--redis-url", redis_url]
    assert cli(["webhooks", "add", "--url", "https://hooks.example.org/m", "--types", "user.banned,user.unbanned", *run]) == 0
    out = capsys.readouterr()
    secret = out.out.strip()
    assert secret.startswith("whsec_") and "\n" not in secret
    endpoint_id = out.err.split()[2]
    [listed] = client.get("/v1/webhooks", headers=auth(keys["admin"])).get_json()["webhooks"]
    assert listed["id"] == endpoint_id and listed["types"] == ["user.banned", "user.unbanned"]

    assert cli(["webhooks", "list", *run]) == 0
    line = capsys.readouterr().out
    assert endpoint_id in line and "on" in line and secret not in line
    assert cli(["webhooks", "disable", endpoint_id, *run]) == 0
    assert client.get(f"/v1/webhooks/{endpoint_id}", headers=auth(keys["admin"])).get_json()["enabled"] is False
    assert cli(["webhooks", "enable", endpoint_id, *run]) == 0
    client.post("/v1/users/zed/ban", json={"reason": "x"}, headers=auth(keys["moderator"]))
    [event] = client.get("/v1/events", headers=auth(keys["site"])).get_json()["events"]
    assert cli(["webhooks", "redeliver", endpoint_id, event["id"], *run]) == 0
    capsys.readouterr()
    assert cli(["webhooks", "show", endpoint_id, *run]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["id"] == endpoint_id and shown["enabled"] is True and "secret" not in shown

    # refusals: a private address, an unknown endpoint
    assert cli(["webhooks", "add", "--url", "http://192.168.1.10/hook", *run]) == 2
    assert "url must not be a loopback" in capsys.readouterr().err
    assert cli(["webhooks", "remove", endpoint_id, *run]) == 0
    assert cli(["webhooks", "remove", endpoint_id, *run]) == 1
    assert "no webhook endpoint" in capsys.readouterr().err
