"""The embedded Redis of ``moderation serve``: one per data directory, none left behind, every strike and ban kept.

Each test starts a real ``moderation serve`` with no ``REDIS_URL`` (so with its embedded redis-server), records a
strike and a ban through the API, kills one part with SIGKILL (the serve parent, a worker, Redis itself) and checks
that what follows serves again with both kept, and that at no point two redis-servers run on one data directory.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from moderation.service.redis_server import RedisInUse, RedisServer
from tests.instances import ROOT, Instance, http, service_env

ABUSIVE = "You are a pathetic idiot and everyone knows it."
#: Generous bounds (each behaviour takes well under a second on an idle machine): a loaded machine must not fail them.
SETTLE_S = 30


def eventually(check, timeout: float = SETTLE_S) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def redis_servers(data_dir: Path) -> list[int]:
    """Process ids of the redis-servers listening on this data directory's socket (zombies excluded)."""
    socket_path = str((data_dir / "redis" / "redis.sock").resolve())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if "redis-server" in line and socket_path in line and state != "Z":
            found.append(int(entry.name))
    return found


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def ready(instance: Instance) -> bool:
    try:
        return http("GET", instance.base + "/readyz", timeout=2)[0] == 200
    except OSError:
        return False


def user(instance: Instance, key: str, user_id: str) -> dict | None:
    try:
        status, body, _ = http("GET", f"{instance.base}/v1/users/{user_id}", headers=auth(key), timeout=5)
    except OSError:
        return None
    return body if status == 200 else None


class Served:
    """A serve instance with a strike on ``striked`` and a ban on ``banned``, recorded through its API."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.instance = Instance(data_dir, workers=2)

    def start(self) -> Served:
        self.instance.start()
        done = self.instance.cli("keys", "create", "--site", "news", "--role", "admin")
        assert done.returncode == 0, done.stderr
        self.key = done.stdout.strip()
        status, body, _ = http(
            "POST", self.instance.base + "/v1/comments", {"id": "c1", "user_id": "striked", "text": ABUSIVE}, auth(self.key)
        )
        assert status == 200 and body["verdict"] == "reject" and body["user"]["strikes"] == 1, body
        status, body, _ = http(
            "POST", self.instance.base + "/v1/users/banned/ban", {"reason": "spam account"}, auth(self.key)
        )
        assert status == 200, body
        return self

    def kept(self, instance: Instance | None = None) -> bool:
        """Whether the instance serves the strike and the ban recorded before."""
        instance = instance or self.instance
        striked, banned = user(instance, self.key, "striked"), user(instance, self.key, "banned")
        return bool(striked and banned and striked["strikes"] == 1 and banned["banned"])


@pytest.fixture
def served(tmp_path):
    served = Served(tmp_path / "d").start()
    try:
        yield served
    finally:
        served.instance.stop()
    assert eventually(lambda: not redis_servers(served.data_dir))


def test_a_running_service_has_one_redis_and_a_second_is_refused(served):
    [pid] = redis_servers(served.data_dir)
    assert RedisServer(served.data_dir / "redis").holder() == pid
    with pytest.raises(RedisInUse, match=f"a redis-server already runs on .* \\(pid {pid}\\)"):
        RedisServer(served.data_dir / "redis").start()
    # a CLI command uses the service's Redis: it sees the service's keys and starts none of its own
    done = served.instance.cli("keys", "list", "--site", "news")
    assert done.returncode == 0 and "admin" in done.stdout, done.stderr
    assert redis_servers(served.data_dir) == [pid]


def test_sigkill_of_the_serve_parent_stops_its_redis_and_a_restart_keeps_everything(served):
    parent = served.instance.process
    [pid] = redis_servers(served.data_dir)
    workers = [p for p in children(parent.pid) if p != pid]
    assert len(workers) == 2
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    # the bound: within 5 s no embedded redis-server is left (it takes milliseconds)
    assert eventually(lambda: not redis_servers(served.data_dir), timeout=5), f"redis-server {pid} left running"
    assert eventually(lambda: not any(alive(w) for w in workers)), "workers left running"
    served.instance.start()  # at once: no wait for anything left behind
    assert served.kept()
    assert len(redis_servers(served.data_dir)) == 1


def test_sigkill_of_a_worker_keeps_serving_everything(served):
    redis_pid = redis_servers(served.data_dir)
    workers = [p for p in children(served.instance.process.pid) if p not in redis_pid]
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)
    assert eventually(lambda: len([p for p in children(served.instance.process.pid) if p not in redis_pid]) == 2)
    for _ in range(6):  # both workers, whichever the kernel picks
        assert eventually(served.kept)
    assert redis_servers(served.data_dir) == redis_pid


def test_sigkill_of_redis_starts_it_again_with_everything_kept(served):
    [pid] = redis_servers(served.data_dir)
    os.kill(pid, signal.SIGKILL)
    assert eventually(lambda: redis_servers(served.data_dir) not in ([], [pid]))
    assert eventually(served.kept)
    assert eventually(lambda: ready(served.instance))
    assert len(redis_servers(served.data_dir)) == 1
    assert "the embedded Redis exited; starting it again" in served.instance.output()


def test_a_redis_left_behind_is_stopped_before_the_next_start(tmp_path):
    """Where the parent-death signal does not exist (or with an older version), a crashed instance leaves its Redis:
    the next ``moderation serve`` stops it (it writes its append-only file) and starts its own on the same data."""
    data_dir = tmp_path / "d"
    served = Served(data_dir).start()
    served.instance.stop()
    left = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from moderation.service.redis_server import RedisServer; "
            "print(RedisServer(sys.argv[1], die_with_starter=False).start().process.pid)",
            str(data_dir / "redis"),
        ],
        cwd=ROOT,
        env=service_env(data_dir),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    orphan = int(left.stdout)
    assert redis_servers(data_dir) == [orphan]  # its starter is gone, it is not
    try:
        served.instance.start()
        assert served.kept()
        [pid] = redis_servers(data_dir)
        assert pid != orphan
        assert "stopping the redis-server left running on" in served.instance.output()
    finally:
        served.instance.stop()
        if redis_servers(data_dir) == [orphan]:
            os.kill(orphan, signal.SIGTERM)
    assert eventually(lambda: not redis_servers(data_dir))
