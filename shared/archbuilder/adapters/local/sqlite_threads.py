"""One SQLite connection per thread, closed when its thread ends.

The embedded adapters (the document store, the regulation index) are used from many threads:
the dev server runs each HTTP connection on a new one. A ``sqlite3.Connection`` may only be used
by the thread that opened it, so each thread opens its own.

Such a connection must also be closed when its thread ends. ``threading.local`` lets go of a
thread's values as the thread ends (reference counting, in that thread), but since Python 3.11
a ``sqlite3.Connection`` sits in a reference cycle with its statement cache
(python/cpython#97641) and is freed only by the cyclic GC: under the dev server, hundreds of
dead threads' connections (three file handles and up to 2 MB of page cache each) waited for a
full collection and the server's RSS kept climbing (docs/operations.md, "Soak"). The holder
below is not in a cycle, so it goes at once and closes its connection.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable


class ThreadConnections:
    """``connect()`` once per thread; ``get()`` the calling thread's connection."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._local = threading.local()

    def get(self) -> sqlite3.Connection:
        held: _Held | None = getattr(self._local, "held", None)
        if held is None:
            held = self._local.held = _Held(self._connect())
        return held.conn

    def close(self) -> None:
        """Close the calling thread's connection now (the next ``get`` opens a new one)."""
        held: _Held | None = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None:
            held.conn.close()


class _Held:
    __slots__ = ("conn",)
    _Error = sqlite3.Error  # bound here: still reachable while the interpreter shuts down

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __del__(self) -> None:
        try:  # noqa: SIM105 - no module globals needed while the interpreter shuts down
            self.conn.close()  # rolls back a transaction the thread left open
        except self._Error:
            pass  # dropped from another thread (the adapter itself discarded): the GC closes it
