"""Every embedded server is forked from one daemon thread that ends only with the app.

The server asks Linux to SIGKILL it when the thread that forked it ends (server_main.py,
`die_with_parent`): the one way a server frozen by the scheduler (llm/scheduler.py) is sure to end
with a killed app. The app starts servers from worker threads that then end, and restarts them from
the watcher thread, which ends too; forked there, a server would be killed at once.
"""

from __future__ import annotations

import queue
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import Future

_Start = Callable[[], "subprocess.Popen[bytes]"]


class _Spawner:
    """Runs each `start` (a Popen) on the spawner thread (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[tuple[_Start, Future[subprocess.Popen[bytes]]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self, start: _Start) -> subprocess.Popen[bytes]:
        """`start()` (a Popen) run on the spawner thread; its result or its exception."""
        job: Future[subprocess.Popen[bytes]] = Future()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="server-spawner", daemon=True)
                self._thread.start()
            self._jobs.put((start, job))
        return job.result()

    def _run(self) -> None:
        while True:  # never returns: its end would SIGKILL every server it started
            start, job = self._jobs.get()
            try:
                job.set_result(start())
            except BaseException as exc:  # the caller raises it
                job.set_exception(exc)
            del start, job  # hold nothing of this server until the next one


spawn_server = _Spawner().start
