"""A real Redis Cluster on this machine, from the redis-server binary: for the tests and the benchmarks.

``LocalCluster(directory).start()`` runs ``primaries`` x (1 + ``replicas``)
redis-server processes in cluster mode on free local ports, joins them with
the cluster commands (``CLUSTER MEET``, ``ADDSLOTS``, ``REPLICATE``: no
``redis-cli`` needed), waits until every slot is served and every replica is
in sync, and gives the URL the service takes
(``redis+cluster://127.0.0.1:P1,127.0.0.1:P2,...``). ``stop_node`` and
``kill_node`` stop one node for failover tests. Nothing here runs in the
service: production clusters are made by their operators.
"""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from .redis_server import RedisServerError, server_command, terminate

SLOTS = 16384


def free_cluster_port() -> int:
    """Return a free local port whose cluster bus port (port + 10000) is free too."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + 10000 >= 65536:
            continue
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 10000))
        except OSError:
            continue
        return port
    raise RedisServerError("no free pair of ports for a cluster node")


@dataclass
class Node:
    """One redis-server of the cluster."""

    port: int
    directory: Path
    process: subprocess.Popen | None = None
    node_id: str = ""
    replica_of: str = ""  # the primary's node id, for a replica
    extra: list[str] = field(default_factory=list)

    def client(self, timeout_s: float = 2.0) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=timeout_s, decode_responses=True)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class LocalCluster:
    """Start and stop a Redis Cluster of local processes in ``directory``."""

    def __init__(
        self,
        directory: str | Path,
        primaries: int = 3,
        replicas: int = 1,
        node_timeout_ms: int = 1000,
        appendfsync: str | None = None,
    ):
        if primaries < 1 or replicas < 0:
            raise ValueError("a cluster needs at least one primary")
        self.directory = Path(directory).resolve()
        self.primaries = primaries
        self.replicas = replicas
        self.node_timeout_ms = node_timeout_ms
        self.appendfsync = appendfsync  # None: no append-only file
        self.nodes: list[Node] = []

    @property
    def url(self) -> str:
        """The URL the service, the CLI and the console take (``REDIS_URL``)."""
        return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def _spawn(self, node: Node) -> None:
        node.directory.mkdir(parents=True, exist_ok=True)
        options = [
            "--port", str(node.port),
            "--bind", "127.0.0.1",
            "--cluster-enabled", "yes",
            "--cluster-config-file", str(node.directory / "nodes.conf"),
            "--cluster-node-timeout", str(self.node_timeout_ms),
        ]  # fmt: skip
        args = server_command(node.directory, options, self.appendfsync)
        node.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self, timeout_s: float = 30.0) -> LocalCluster:
        """Start every node, form the cluster, and wait until it serves every slot with its replicas in sync."""
        deadline = time.monotonic() + timeout_s
        count = self.primaries * (1 + self.replicas)
        for _ in range(count):
            port = free_cluster_port()
            self.nodes.append(Node(port, self.directory / str(port)))
        try:
            for node in self.nodes:
                self._spawn(node)
            for node in self.nodes:
                self._wait(lambda n=node: n.client(0.2).ping(), deadline, f"node {node.port} to answer")
                node.node_id = node.client().execute_command("CLUSTER", "MYID")
            first = self.nodes[0]
            for node in self.nodes[1:]:
                node.client().execute_command("CLUSTER", "MEET", "127.0.0.1", first.port)
            primaries = self.nodes[: self.primaries]
            per = SLOTS // self.primaries
            for i, node in enumerate(primaries):
                end = SLOTS if i == self.primaries - 1 else (i + 1) * per
                node.client().execute_command("CLUSTER", "ADDSLOTS", *range(i * per, end))
            self._wait(lambda: all(self._known(n) == count for n in self.nodes), deadline, "every node to know every other")
            for i, node in enumerate(self.nodes[self.primaries :]):
                node.replica_of = primaries[i % self.primaries].node_id
                node.client().execute_command("CLUSTER", "REPLICATE", node.replica_of)
            self._wait(self.healthy, deadline, "the cluster to serve every slot with its replicas in sync")
        except BaseException:
            self.stop()
            raise
        return self

    @staticmethod
    def _known(node: Node) -> int:
        return len(node.client().execute_command("CLUSTER", "NODES").strip().splitlines())

    @staticmethod
    def _wait(check, deadline: float, what: str) -> None:
        while True:
            try:
                if check():
                    return
            except (redis.RedisError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RedisServerError(f"timed out waiting for {what}")
            time.sleep(0.05)

    def healthy(self) -> bool:
        """Every running node sees every slot served, and every running replica's link to its primary is up."""
        for node in self.nodes:
            if not node.alive():
                continue
            client = node.client(0.5)
            if "cluster_state:ok" not in client.execute_command("CLUSTER", "INFO"):
                return False
            info = client.info("replication")
            if info["role"] == "slave" and info.get("master_link_status") != "up":
                return False
        return True

    def primary_of(self, key: str) -> Node:
        """The node that serves ``key``'s slot now."""
        for node in self.nodes:
            if not node.alive():
                continue
            client = node.client(0.5)
            try:
                slot = client.execute_command("CLUSTER", "KEYSLOT", key)
                for start, end, primary, *_ in client.execute_command("CLUSTER", "SLOTS"):
                    if start <= slot <= end:
                        port = primary[1]
                        return next(n for n in self.nodes if n.port == port)
            except (redis.RedisError, OSError):
                continue
        raise RedisServerError(f"no node serves {key}")

    def replica_of(self, primary: Node) -> Node:
        """A replica of ``primary`` now (asked of the primary: failovers move the roles)."""
        info = primary.client(1.0).info("replication")
        for name, value in info.items():
            if name.startswith("slave") and isinstance(value, dict):
                return next(n for n in self.nodes if n.port == int(value["port"]))
        raise RedisServerError(f"node {primary.port} has no replica")

    def kill_node(self, node: Node) -> None:
        """Kill a node at once (SIGKILL: what a crashed machine looks like)."""
        if node.alive():
            node.process.kill()
            node.process.wait()

    def stop_node(self, node: Node, timeout_s: float = 10.0) -> None:
        """Stop a node (SIGTERM)."""
        if node.alive():
            terminate(node.process, timeout_s)

    def restart_node(self, node: Node, timeout_s: float = 10.0) -> None:
        """Start a stopped node again with its data and cluster configuration (a failed primary rejoins as a replica)."""
        if node.alive():
            return
        self._spawn(node)
        self._wait(lambda: node.client(0.2).ping(), time.monotonic() + timeout_s, f"node {node.port} to answer")

    def stop(self) -> None:
        """Stop every node."""
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.kill()
        for node in self.nodes:
            if node.process is not None:
                node.process.wait()

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
