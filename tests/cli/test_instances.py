"""One instance per address and per data directory; the start-up log names the address; a control socket per data dir."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from tests.instances import ROOT, Instance, free_port, service_env


def eventually(check, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def run_serve(data_dir, port, redis_url, timeout=60) -> subprocess.CompletedProcess:
    """Run a second ``moderation serve``; its one line of output (and no worker's) shows it stopped before starting
    anything (how fast is not asserted: a loaded machine takes seconds just to start Python)."""
    return subprocess.run(
        [sys.executable, "-m", "moderation.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=service_env(data_dir, redis_url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def first(tmp_path, redis_url):
    with Instance(tmp_path / "a", redis_url=redis_url) as instance:
        yield instance


def test_a_second_instance_on_a_busy_address_exits_at_once_with_one_line(first, tmp_path, redis_url):
    done = run_serve(tmp_path / "b", first.port, redis_url)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"moderation serve: 127.0.0.1:{first.port} is already in use (by another moderation service)"
    ]
    assert first.process.poll() is None  # the first one goes on


def test_an_address_taken_by_another_program_is_refused(tmp_path, redis_url):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        done = run_serve(tmp_path / "b", port, redis_url)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"moderation serve: 127.0.0.1:{port} is already in use"]


def test_a_second_instance_on_the_same_data_directory_exits(first, redis_url):
    done = run_serve(first.data_dir, free_port(), redis_url)
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line == f"moderation serve: data directory {first.data_dir} is in use by another instance (pid {first.process.pid})"


def test_bare_gunicorn_refuses_a_busy_address_too(first, tmp_path, redis_url):
    """The container runs gunicorn with service/gunicorn_conf.py directly: its on_starting hook checks."""
    env = service_env(tmp_path / "b", redis_url, bind=f"127.0.0.1:{first.port}")
    done = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "python:moderation.service.gunicorn_conf", "moderation.service.wsgi:app"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert f"127.0.0.1:{first.port} is already in use" in done.stderr
    assert "Booting worker" not in done.stderr


def test_the_start_up_log_names_the_address_and_each_instance_has_its_own_control_socket(tmp_path, redis_url):
    with Instance(tmp_path / "a", redis_url=redis_url) as a, Instance(tmp_path / "b", redis_url=redis_url) as b:
        for instance in (a, b):
            assert f"Listening at: http://127.0.0.1:{instance.port} (" in instance.output()
            control = instance.data_dir / "gunicorn.ctl"
            assert eventually(control.is_socket)  # made just after start-up
        assert a.stop() == 0
        assert not (a.data_dir / "gunicorn.ctl").exists()
        assert (b.data_dir / "gunicorn.ctl").is_socket()  # stopping one leaves the other's alone
