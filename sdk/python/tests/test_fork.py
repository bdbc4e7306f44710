"""After fork (gunicorn, uwsgi workers) the child starts with empty counters, new batch ids and
its own connection, and never sends what the parent counted."""

from __future__ import annotations

import json
import os
import sys

import canary

from .conftest import Server, wait_for
from .test_e2e import EVERYONE, FLAG, counted


def test_a_forked_child_counts_only_its_own_and_connects_itself(server: Server) -> None:
    server.ok("POST", "/api/v1/flags", {"key": FLAG})
    server.ok("PATCH", server.flag_path(FLAG), {"enabled": True, "cohorts": EVERYONE})
    _, secret = server.create_key()
    client = canary.Client(url=server.url, server_key=secret, flush_interval=0.2)
    try:
        client.wait_until_ready(timeout=20)
        wait_for(lambda: client._ws is not None, what="the parent's connection")
        parent_ws = client._ws
        for i in range(7):
            client.is_enabled(FLAG, {"userId": f"parent-{i}"})  # counted, not yet flushed
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report what it holds, count its own, flush, exit
            code = 1
            try:
                os.close(read)
                report = {
                    "counted": sum(sum(c) for c in client._engine.counters.counted().values()),
                    "pending": client._engine.pending,
                    "answers": client.is_enabled(FLAG, {"userId": "child-0"}),
                }
                for i in range(1, 3):
                    client.is_enabled(FLAG, {"userId": f"child-{i}"})
                wait_for(lambda: client._ws is not None and client._ws is not parent_ws and client.status == "ready",
                         what="the child's own connection")
                report["own_connection"] = True
                client.close(timeout=10)
                report["pending_after_close"] = client._engine.pending
                os.write(write, json.dumps(report).encode())
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        with os.fdopen(read) as pipe:
            report = json.loads(pipe.read() or "{}")
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, report
        assert report == {"counted": 0, "pending": 0, "answers": True, "own_connection": True, "pending_after_close": 0}
        assert client._ws is parent_ws, "the child must not close the parent's connection"
        client.flush()
        wait_for(lambda: client._engine.pending == 0, what="the parent's batch to be acknowledged")
        # 7 from the parent, 3 from the child: each counted once.
        wait_for(lambda: counted(server)["canaryExposures"] == 10, what="both processes' counts, once each")
    finally:
        client.close(timeout=2)
    sys.stdout.flush()
