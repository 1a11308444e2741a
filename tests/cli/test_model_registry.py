"""`moderation model` and the shared registry: publish on one machine, see and roll back on another, on a cluster."""

from __future__ import annotations

import subprocess
import sys

from moderation.classifier import artifact
from moderation.service.store import connect
from tests.instances import ROOT, service_env
from tests.service.conftest import clear

SHIPPED = artifact.DEFAULT_MODEL
SHIPPED_VERSION = artifact.read_card(SHIPPED)["version"]


def model_command(data_dir, redis_url, *args) -> subprocess.CompletedProcess:
    env = service_env(data_dir, redis_url, model_registry="redis")
    return subprocess.run(
        [sys.executable, "-m", "moderation.cli", "model", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_model_commands_share_one_registry_through_a_redis_cluster(tmp_path, redis_cluster, request):
    from tests.service.conftest import _given

    url = _given(cluster=True) or redis_cluster.url
    client = connect(url, 5.0)
    clear(client)
    request.addfinalizer(lambda: clear(client))
    published = model_command(tmp_path / "machine-a", url, "publish", str(SHIPPED), "--inactive")
    assert published.returncode == 0, published.stderr
    assert published.stdout.strip() == SHIPPED_VERSION

    listed = model_command(tmp_path / "machine-b", url, "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split()[:2] == ["*", SHIPPED_VERSION]  # the fallback is active; one row, published or not

    shadowed = model_command(tmp_path / "machine-b", url, "shadow", SHIPPED_VERSION)
    assert shadowed.returncode == 0, shadowed.stderr
    assert model_command(tmp_path / "machine-a", url, "list").stdout.startswith("*s " + SHIPPED_VERSION)
    # machine b fetched the version's bytes into its own cache to check that it loads
    assert (tmp_path / "machine-b" / "models" / "versions" / f"{SHIPPED_VERSION}.model").read_bytes() == SHIPPED.read_bytes()

    refused = model_command(tmp_path / "machine-a", url, "rollback", "0123456789ab")
    assert refused.returncode == 1 and "no published version 0123456789ab" in refused.stderr
