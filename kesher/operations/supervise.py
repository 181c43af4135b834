"""Keeps ``manage.py serve``'s processes running (issue 24 item 6): a web server or worker that
dies is started again, after a pause that grows while it keeps dying at once (1 s, doubling up
to 30 s); one that cannot stay up — exiting within seconds five times in a row, say a port in
use — stops everything, so the operator sees why instead of a loop."""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Child", "Supervisor"]

logger = logging.getLogger("kesher.serve")

QUICK_EXIT = 5.0  # seconds: an exit sooner than this after a start counts as "at once"
MAX_QUICK_EXITS = 5
MAX_PAUSE = 30.0


@dataclass
class Child:
    name: str
    command: list[str]
    env: dict | None = None
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    quick_exits: int = 0
    restart_at: float | None = None
    restarts: int = 0

    def start(self, clock: Callable[[], float]) -> None:
        # A fixed argument list built by ``serve``: no shell, no user input.
        self.process = subprocess.Popen(self.command, env=self.env)  # noqa: S603
        self.started_at = clock()
        self.restart_at = None


@dataclass
class Supervisor:
    children: list[Child]
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    stopping: bool = False
    failed: str = ""
    log: list[str] = field(default_factory=list)

    def start(self) -> None:
        for child in self.children:
            child.start(self.clock)

    def check(self) -> bool:
        """Restart the children that exited (when their pause is over); False once stopping."""
        now = self.clock()
        for child in self.children:
            if self.stopping:
                return False
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.restarts += 1
                    self._note(f"{child.name} started again (restart {child.restarts})")
                    child.start(self.clock)
                continue
            code = child.process.poll() if child.process else 0
            if code is None:
                continue
            quick = now - child.started_at < QUICK_EXIT
            child.quick_exits = child.quick_exits + 1 if quick else 0
            if child.quick_exits >= MAX_QUICK_EXITS:
                self.failed = f"{child.name} exited at once {MAX_QUICK_EXITS} times (code {code})"
                self._note(self.failed)
                self.stop()
                return False
            pause = min(MAX_PAUSE, 2.0 ** max(child.quick_exits - 1, 0)) if quick else 1.0
            self._note(f"{child.name} exited with code {code}; starting it again in {pause:.0f} s")
            child.restart_at = now + pause
        return not self.stopping

    def run(self, interval: float = 0.5) -> None:
        self.start()
        while self.check():
            self.sleep(interval)

    def stop(self, timeout: float = 15) -> None:
        self.stopping = True
        for child in self.children:
            if child.process and child.process.poll() is None:
                child.process.terminate()
        for child in self.children:
            if not child.process:
                continue
            try:
                child.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                child.process.kill()

    def _note(self, message: str) -> None:
        self.log.append(message)
        logger.warning(message)
