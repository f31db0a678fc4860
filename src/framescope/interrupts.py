"""SIGTERM as an exception that cannot be lost.

While a command runs, ``sigterm_interrupts()`` turns SIGTERM into ``Terminated`` (a
``KeyboardInterrupt``), raised where the signal arrives, so that every ``finally`` and
clean-up runs as for Ctrl-C. Python runs a signal handler between bytecodes of the main
thread; when that happens inside a finalizer (a ``__del__`` or weakref callback that the
garbage collector runs), Python prints "Exception ignored" and the exception is gone. So the
handler also records the signal, and long loops call ``check()`` at their safe points (each
scored chunk, each training step), which raises ``Terminated`` again.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Terminated", "check", "sigterm_interrupts"]


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the signal arrives, so that clean-up runs as for Ctrl-C."""


_received = threading.Event()


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """While the block runs, SIGTERM raises ``Terminated``. A second SIGTERM meets the
    previous handler (by default it ends the process), which is restored afterwards in any
    case. Handlers belong to the main thread, so elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    previous = signal.SIG_DFL if previous is None else previous

    def stop(signum: int, frame: object) -> None:
        _received.set()
        signal.signal(signal.SIGTERM, previous)
        raise Terminated

    _received.clear()
    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        _received.clear()


def check() -> None:
    """Raise ``Terminated`` if a SIGTERM arrived in ``sigterm_interrupts`` (its first raise
    may have been swallowed by a finalizer)."""
    if _received.is_set():
        raise Terminated
