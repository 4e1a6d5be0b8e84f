"""Worker processes log through their parent: one log pipe per worker, records re-emitted in the parent.

Owns how a worker's log records reach the parent's handlers (as OCRmyPDF
does with a queue handler per worker): the worker's root logger gets a
:class:`PipeHandler` at the parent's level (so ``-v`` works in workers too),
and the parent re-emits each record through the logger of the same name
(:func:`drain`), where the CLI's handler and format apply.  A pipe per worker,
not one shared queue: a worker killed at its deadline in the middle of a
write can corrupt only its own pipe, which dies with it.
"""

from __future__ import annotations

import logging
import threading
from multiprocessing.connection import Connection


class PipeHandler(logging.Handler):
    """Sends each record (made picklable: message formatted, exception as text) down a pipe."""

    def __init__(self, conn: Connection) -> None:
        super().__init__()
        self.conn = conn
        self._send_lock = threading.Lock()

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        msg = record.getMessage()
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            msg = f"{msg}\n{text}" if msg else text
        out = logging.makeLogRecord(record.__dict__)
        out.msg, out.args, out.exc_info, out.exc_text, out.stack_info = msg, None, None, None, None
        out.processName = record.processName
        return out

    def emit(self, record: logging.LogRecord) -> None:
        try:
            prepared = self.prepare(record)
            with self._send_lock:
                self.conn.send(prepared)
        except Exception:  # noqa: BLE001 - a log line must never fail the work
            pass


def install(conn: Connection | None, level: int) -> None:
    """In a worker: send every record at ``level`` or above to the parent instead of stderr."""
    if conn is None:
        return
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(PipeHandler(conn))
    root.setLevel(level)


def drain(conn: Connection | None) -> int:
    """In the parent: re-emit every record waiting in a worker's log pipe; returns how many."""
    n = 0
    if conn is None or conn.closed:
        return 0
    try:
        while conn.poll():
            record = conn.recv()
            if isinstance(record, logging.LogRecord):
                logger = logging.getLogger(record.name)
                if logger.isEnabledFor(record.levelno):
                    logger.handle(record)
                n += 1
    except (EOFError, OSError):
        pass
    return n
