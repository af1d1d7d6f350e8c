"""Two `hourcap serve` on one host: each has a gunicorn control socket of its own (web/server.py names it after
the port), so neither takes over or deletes the other's, and `gunicornc` reaches each one's own arbiter."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

from sandbox.slack import SlackSandbox
from tests.support.processes import HOURCAP, Running, clean_env, free_port, running, wait_healthy
from tests.support.workspace import BOT_TOKEN, SIGNING_SECRET

GUNICORNC = str(Path(sys.executable).parent / "gunicornc")


def arbiter_pid(socket_path: Path) -> int:
    """The pid of the gunicorn arbiter answering on `socket_path` (`gunicornc -c "show all" -j`)."""
    answer = subprocess.run([GUNICORNC, "-s", str(socket_path), "-c", "show all", "-j"], capture_output=True,
                            text=True, timeout=20)
    assert answer.returncode == 0, answer.stdout + answer.stderr
    return int(json.loads(answer.stdout)["arbiter"]["pid"])


def test_two_instances_side_by_side_keep_their_own_control_sockets(tmp_path: Path, slack_api: SlackSandbox) -> None:
    runtime_dir = tmp_path / "run"
    runtime_dir.mkdir(mode=0o700)
    database_url = f"sqlite:///{tmp_path / 'two.db'}"
    ports = (free_port(), free_port())
    instances: list[Running] = []
    with ExitStack() as stack:
        for port in ports:
            env = clean_env(SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_BOT_TOKEN=BOT_TOKEN,
                            SLACK_API_URL=slack_api.base_url, PORT=str(port), DATABASE_URL=database_url,
                            XDG_RUNTIME_DIR=str(runtime_dir))
            served = stack.enter_context(running([HOURCAP, "serve", "--host", "127.0.0.1", "--workers", "1"],
                                                 env=env, cwd=tmp_path))
            wait_healthy(served, f"http://127.0.0.1:{port}")
            instances.append(served)
        first, second = instances
        sockets = [runtime_dir / f"hourcap-{port}.ctl" for port in ports]
        for path in sockets:
            assert path.exists() and stat.S_ISSOCK(path.stat().st_mode), sorted(p.name for p in runtime_dir.iterdir())
        assert not (runtime_dir / "gunicorn.ctl").exists()  # gunicorn's shared default is not used
        assert [arbiter_pid(path) for path in sockets] == [first.process.pid, second.process.pid]

        assert first.stop() == 0
        assert not sockets[0].exists()  # the first cleaned up its own socket ...
        assert sockets[1].exists()  # ... and left the second's in place
        assert arbiter_pid(sockets[1]) == second.process.pid
        wait_healthy(second, f"http://127.0.0.1:{ports[1]}")
        assert second.stop() == 0
        assert not sockets[1].exists()
