"""What happens to clients at exit and across ``fork()`` (gunicorn, uwsgi, multiprocessing).

At exit every open client flushes its counts (``close``). In a forked child a client keeps the
flag state it held (answers stay immediate) but nothing else: its counts and pending batches
belong to the parent, which sends them; the child starts empty, with new batch ids and its own
connection, so the server never receives the parent's counts twice.
"""

from __future__ import annotations

import atexit
import os
import threading
import weakref
from typing import Protocol


class ForkAware(Protocol):
    def _after_fork_in_child(self) -> None: ...
    def _close_at_exit(self) -> None: ...


_clients: weakref.WeakSet[ForkAware] = weakref.WeakSet()
_lock = threading.Lock()


def register(client: ForkAware) -> None:
    with _lock:
        _clients.add(client)


def unregister(client: ForkAware) -> None:
    with _lock:
        _clients.discard(client)


def _after_fork() -> None:
    global _lock
    _lock = threading.Lock()  # the parent may have held it while forking
    for client in list(_clients):
        client._after_fork_in_child()


def _at_exit() -> None:
    for client in list(_clients):
        client._close_at_exit()


os.register_at_fork(after_in_child=_after_fork)
atexit.register(_at_exit)
