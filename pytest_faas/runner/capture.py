"""Per-execution capture of stdout, stderr and logging, by thread.

Executions run concurrently in threads of one process, so output is routed by the thread that writes it:
``sys.stdout``/``sys.stderr`` are wrapped by a router that sends an execution thread's writes to that
execution's buffer and everything else to the stream it wraps, and one logging handler on the root logger
does the same for log records. Something else (pytest's capture, in the thread placement) may replace
``sys.stdout`` between executions; the router is put back, around the current stream, when the next
execution starts, and by `reinstall` (the plugin calls it at each test phase while executions run).
"""

from __future__ import annotations

import bdb
import io
import json
import logging
import sys
import threading

from ..ids import now_iso


def encodable(value):
    """``value`` with every lone surrogate (``"\\udcff"``, what ``surrogateescape`` makes of a bad byte) written
    as its escape: the platform stores UTF-8, and one such character in a log line or an output would otherwise
    stop the execution's report from being stored at all. Strings, and the lists and dicts of an output."""
    if isinstance(value, str):
        if value.isascii():
            return value
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
        return value
    if isinstance(value, (list, tuple, dict)):
        try:  # one pass in C for the usual case: nothing to escape
            json.dumps(value, ensure_ascii=False).encode("utf-8")
            return value
        except UnicodeEncodeError:
            pass
        except (TypeError, ValueError, RecursionError):
            return value  # not JSON: the output check says so
        if isinstance(value, dict):
            return {encodable(k): encodable(v) for k, v in value.items()}
        return [encodable(v) for v in value]
    return value


def _line(message: str, level: str) -> dict:
    return {"timestamp": now_iso(), "message": encodable(message), "level": level}


class Buffer:
    """One execution's captured lines, in order."""

    def __init__(self):
        self._lock = threading.Lock()
        self._lines: list[dict] = []
        self._partial = {"stdout": "", "stderr": ""}
        self._sent = 0

    def write(self, text: str, stream: str) -> None:
        with self._lock:
            text = self._partial[stream] + text
            *complete, self._partial[stream] = text.split("\n")
            level = "INFO" if stream == "stdout" else "ERROR"
            self._lines.extend(_line(piece, level) for piece in complete)

    def add(self, message: str, level: str = "INFO") -> None:
        with self._lock:
            self._lines.extend(_line(piece, level) for piece in message.split("\n"))

    def take_new(self) -> list[dict]:
        """Complete lines not taken before (for sending while the execution runs)."""
        with self._lock:
            new, self._sent = self._lines[self._sent:], len(self._lines)
            return new

    def take_rest(self) -> list[dict]:
        """Every line not taken yet, including an unfinished last one."""
        with self._lock:
            for stream, text in self._partial.items():
                if text:
                    self._lines.append(_line(text, "INFO" if stream == "stdout" else "ERROR"))
                    self._partial[stream] = ""
            rest, self._sent = self._lines[self._sent:], len(self._lines)
            return rest


def _debugging() -> bool:
    """True while a debugger (pdb, after ``breakpoint()``) traces this thread: its prompt and answers belong
    on the terminal, not in the execution's log."""
    tracer = sys.gettrace()
    return isinstance(getattr(tracer, "__self__", None), bdb.Bdb)


class _Router(io.TextIOBase):
    """A text stream that writes to the current thread's buffer, or to the stream it wraps."""

    def __init__(self, capture: "Capture", name: str, wrapped):
        self._capture = capture
        self._name = name
        self.wrapped = wrapped

    def write(self, text: str) -> int:
        buffer = self._capture.buffers.get(threading.get_ident())
        if buffer is None or _debugging():
            return self.wrapped.write(text)
        buffer.write(text, self._name)
        return len(text)

    def flush(self) -> None:
        if threading.get_ident() not in self._capture.buffers or _debugging():
            self.wrapped.flush()

    def __getattr__(self, name):  # fileno, encoding, isatty, ... of the real stream
        return getattr(self.wrapped, name)


class _Handler(logging.Handler):
    def __init__(self, capture: "Capture"):
        super().__init__(logging.INFO)
        self._capture = capture
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        buffer = self._capture.buffers.get(record.thread)
        if buffer is not None:
            try:
                buffer.add(self.format(record), record.levelname)
            except Exception:  # a bad log call must not fail the user's function
                self.handleError(record)


class _EscapingRecords:
    """A log record factory: a record made in an execution thread has its lone surrogates escaped before any
    handler sees it. In the thread placement the test process's own handlers (pytest's log capture, which
    pytest-xdist sends to its controller and which fails on such a character) get the user's records too."""

    def __init__(self, capture: "Capture", make):
        self._capture = capture
        self.make = make

    def __call__(self, *args, **kwargs) -> logging.LogRecord:
        record = self.make(*args, **kwargs)
        if record.thread in self._capture.buffers:
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 (a bad format string is reported by the handler, as always)
                return record
            escaped = encodable(message)
            if escaped is not message:
                record.msg, record.args = escaped, ()
        return record


class Capture:
    """The process's router; use :data:`CAPTURE`."""

    def __init__(self):
        self.buffers: dict[int, Buffer] = {}
        self._lock = threading.Lock()
        self._handler = _Handler(self)

    def _install(self) -> None:
        for name in ("stdout", "stderr"):
            current = getattr(sys, name)
            if not isinstance(current, _Router) or current._capture is not self:
                setattr(sys, name, _Router(self, name, current))
        root = logging.getLogger()
        if self._handler not in root.handlers:
            root.addHandler(self._handler)
        factory = logging.getLogRecordFactory()
        if not isinstance(factory, _EscapingRecords):
            logging.setLogRecordFactory(_EscapingRecords(self, factory))

    def begin(self) -> Buffer:
        """Start capturing the current thread's output into a new buffer."""
        buffer = Buffer()
        with self._lock:
            self._install()
            self.buffers[threading.get_ident()] = buffer
        return buffer

    def reinstall(self) -> None:
        """Put the router back around the current streams while executions run: pytest's capture swaps
        ``sys.stdout`` at each phase of each test, and an execution submitted ahead outlives the phase it
        started in."""
        with self._lock:
            if self.buffers:
                self._install()

    def end(self) -> None:
        """Stop capturing the current thread."""
        with self._lock:
            self.buffers.pop(threading.get_ident(), None)

    def uninstall(self) -> None:
        """Unwrap the streams and remove the handler, when no agent of this process is left."""
        with self._lock:
            if self.buffers:
                return
            for name in ("stdout", "stderr"):
                current = getattr(sys, name)
                if isinstance(current, _Router) and current._capture is self:
                    setattr(sys, name, current.wrapped)
            logging.getLogger().removeHandler(self._handler)
            factory = logging.getLogRecordFactory()
            if isinstance(factory, _EscapingRecords):
                logging.setLogRecordFactory(factory.make)


CAPTURE = Capture()
