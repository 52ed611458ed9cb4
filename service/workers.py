"""Several processes answering on one port: `clinicbot serve --workers N`.

The parent binds the listening socket itself, then forks N workers. Each builds its own app after the fork
(`create_app`: its own model, index, database connections and threads; the parent holds none of them) and
runs uvicorn with `service/server.py`'s configuration on the inherited socket, so the kernel hands each new
connection to one of them. Forked, not spawned: that configuration's protocol class is made at run time and
cannot be pickled.

The parent only supervises. SIGTERM or SIGINT is passed on to every worker as SIGTERM, uvicorn's graceful
stop (SIGTERM, unlike a second SIGINT, never cuts it short), and the parent exits 0 once all have stopped. A
worker that dies otherwise is replaced after a pause, which doubles while workers keep dying before they are
ready; after START_FAILURES such deaths in a row (a broken index, an unreachable database) the parent stops
the others and exits 1. On Linux a worker also gets SIGTERM when the parent dies, even by SIGKILL.

What the workers must agree on is in the database (staff sessions, login failures and the sign-in lock,
rate-limit counters, the question log) and in the index folder, whose new builds every worker's index
watcher swaps in within `index_watch_seconds`.
"""
from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import select
import signal
import socket
import sys
import time
from dataclasses import dataclass
from types import FrameType
from typing import NoReturn

import uvicorn

from service import server
from service.app import create_app
from service.secret_key import SecretKeyError
from service.settings import Settings
from service.staff.passwords import StaffConfigError

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
TICK = 0.1  # seconds between the parent's looks at its workers
FIRST_PAUSE = 0.25  # seconds before a dead worker is replaced; doubles with each start-up failure in a row …
MAX_PAUSE = 10.0  # … up to this
START_FAILURES = 5  # workers in a row that died before they were ready: give up
STOP_WAIT = 60.0  # seconds the workers have to stop after SIGTERM before they are killed
BACKLOG = 2048  # connections the kernel queues for the workers to accept (uvicorn's default)
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


class ListenError(RuntimeError):
    """The address cannot be listened on (in use, not this machine's); the message says which and why."""


def worker_count(settings: Settings) -> int:
    """How many processes `clinicbot serve` runs: the `workers` setting, one per CPU when it is 0."""
    return settings.workers or os.cpu_count() or 1


def listen(settings: Settings) -> socket.socket:
    """The listening socket on `host`:`port`, bound once by the parent and inherited by every worker."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            settings.host, settings.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ListenError(f"cannot listen on {settings.host}:{settings.port}: {exc}") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart binds at once despite TIME_WAIT
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise ListenError(f"cannot listen on {settings.host}:{settings.port}: {exc}") from exc
    return sock


def serve(settings: Settings) -> int:
    """Run `worker_count(settings)` workers on one port until SIGTERM or SIGINT; the exit code."""
    log.setLevel(logging.INFO)  # the supervisor's few lines, whatever the root logger's level
    sock = listen(settings)
    count = worker_count(settings)
    log.info("clinicbot listening on http://%s:%d with %d workers (parent pid %d)",
             settings.host, settings.port, count, os.getpid())
    return Supervisor(settings, sock, count).run()


@dataclass
class _Worker:
    slot: int  # 0 … N-1: a replacement takes the dead worker's slot
    pid: int
    ready: int  # read end of a pipe the worker writes to once it answers; -1 once read or closed
    up: bool = False
    told: bool = False  # sent SIGTERM


class Supervisor:
    """The parent: forks the workers, passes stop signals on, replaces workers that die."""

    def __init__(self, settings: Settings, sock: socket.socket, count: int) -> None:
        self.settings = settings
        self.sock = sock
        self.count = count
        self.workers: dict[int, _Worker] = {}  # by pid
        self.due: dict[int, float] = {}  # slot -> when (monotonic) its replacement is forked
        self.failures = 0  # workers in a row that died before they were ready
        self.stopping = False
        self.stop_by: float | None = None  # when the workers are killed if they have not stopped
        self.code = 0

    def run(self) -> int:
        """Supervise until stopped: 0 after a clean stop, 1 when workers keep failing or had to be killed."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        try:
            for slot in range(self.count):
                if not self.stopping:
                    self._fork(slot)
            while self.workers or self.due:
                self._wait()
                self._reap()
                if self.stopping:
                    self._stop()
                else:
                    self._start_due()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for worker in self.workers.values():
                _close(worker)
            self.sock.close()
        log.info("clinicbot stopped (exit %d)", self.code)
        return self.code

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True  # the loop passes it on within a tick, also to a worker forked meanwhile

    def _fork(self, slot: int) -> None:
        ready_out, ready_in = os.pipe()
        parent = os.getpid()
        # A stop signal arriving now waits until the worker has its own handlers (or the parent its pid).
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        pid = os.fork()
        if pid == 0:
            os.close(ready_out)
            for other in self.workers.values():  # the parent's ends of the other workers' pipes
                _close(other)
            _worker_main(self.settings, self.sock, slot, ready_in, parent)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        os.close(ready_in)
        os.set_blocking(ready_out, False)
        self.workers[pid] = _Worker(slot, pid, ready_out)

    def _wait(self) -> None:
        """Sleep a tick, or less when a worker reports ready (or closes its pipe by dying)."""
        pipes = [w.ready for w in self.workers.values() if w.ready >= 0]
        readable, _, _ = select.select(pipes, [], [], TICK)
        for worker in self.workers.values():
            if worker.ready in readable:
                self._read_ready(worker)

    def _read_ready(self, worker: _Worker) -> None:
        try:
            said = os.read(worker.ready, 1)
        except BlockingIOError:
            return
        _close(worker)
        if said:
            worker.up = True
            self.failures = 0
            log.info("worker %d (pid %d) is ready", worker.slot, worker.pid)

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            worker = self.workers.pop(pid, None)
            if worker is None:
                continue
            if worker.ready >= 0:  # it may have said "ready" just before it died
                self._read_ready(worker)
            if not self.stopping:
                self._died(worker, os.waitstatus_to_exitcode(status))

    def _died(self, worker: _Worker, code: int) -> None:
        how = f"was killed by signal {-code}" if code < 0 else f"exited with {code}"
        if not worker.up:
            self.failures += 1
        if self.failures >= START_FAILURES:
            log.error("worker %d (pid %d) %s; %d workers in a row died before they were ready: giving up",
                      worker.slot, worker.pid, how, self.failures)
            self.code = 1
            self.stopping = True
            return
        pause = min(MAX_PAUSE, FIRST_PAUSE * 2 ** max(0, self.failures - 1))
        log.warning("worker %d (pid %d) %s; starting another in %.2f s", worker.slot, worker.pid, how, pause)
        self.due[worker.slot] = time.monotonic() + pause

    def _start_due(self) -> None:
        for slot, when in list(self.due.items()):
            if when <= time.monotonic():
                del self.due[slot]
                self._fork(slot)

    def _stop(self) -> None:
        self.due.clear()
        if self.stop_by is None:
            self.stop_by = time.monotonic() + STOP_WAIT
            log.info("stopping %d workers", len(self.workers))
        for worker in self.workers.values():
            if not worker.told:
                worker.told = True
                _signal(worker.pid, signal.SIGTERM)
        if self.workers and time.monotonic() > self.stop_by:
            log.error("%d workers did not stop within %.0f s: killing them", len(self.workers), STOP_WAIT)
            for worker in self.workers.values():
                _signal(worker.pid, signal.SIGKILL)
            self.code = 1
            self.stop_by = float("inf")


class _Server(uvicorn.Server):
    """uvicorn's server, which tells the parent once it answers (its app's lifespan has loaded the index)."""

    def __init__(self, config: uvicorn.Config, ready: int) -> None:
        super().__init__(config)
        self.ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            os.write(self.ready, b"!")
        os.close(self.ready)


def _worker_main(settings: Settings, sock: socket.socket, slot: int, ready: int, parent: int) -> NoReturn:
    """The forked worker: serve until SIGTERM, then exit without ever returning into the parent's code."""
    code = 1
    try:
        code = _work(settings, sock, slot, ready, parent)
    except SystemExit as exc:  # uvicorn's own exit, e.g. 3 when the app's lifespan failed (a broken index)
        code = exc.code if isinstance(exc.code, int) else 1
    except (StaffConfigError, SecretKeyError) as exc:
        print(f"clinicbot serve: {exc}", file=sys.stderr)
    except BaseException:
        log.exception("worker %d (pid %d) failed", slot, os.getpid())
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _work(settings: Settings, sock: socket.socket, slot: int, ready: int, parent: int) -> int:
    for sig in STOP_SIGNALS:  # until its server exists a stop ends the worker at once
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # blocked by the parent around the fork
    _stop_with(parent)
    if settings.metrics_port is not None:  # each worker's metrics on a port of its own: port, port + 1, …
        settings = settings.model_copy(update={"metrics_port": settings.metrics_port + slot})
    instance = _Server(server.config(create_app(settings), settings), ready)

    def stop(signum: int, frame: FrameType | None) -> None:
        instance.should_exit = True  # uvicorn then stops as on its own signal; it re-raises its signal here

    for sig in STOP_SIGNALS:
        signal.signal(sig, stop)
    instance.run(sockets=[sock])
    return 0


def _stop_with(parent: int) -> None:
    """Linux: SIGTERM this worker when the parent dies, so no worker outlives it."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before that took effect
        os._exit(1)


def _close(worker: _Worker) -> None:
    if worker.ready >= 0:
        os.close(worker.ready)
        worker.ready = -1


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it has just exited; the next reap collects it
        os.kill(pid, sig)
