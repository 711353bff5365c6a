"""A Docker attach socket seen as a plain pair of byte streams (stdout as a pipe, stdin as a writer).

Why: the runner protocol client (``sandbox.runner_client``) speaks to any pair of byte streams and
puts a deadline on every read by ``select``-ing on a real file descriptor. Docker's attach socket
(no TTY) multiplexes the container's stdout and stderr into frames (an 8-byte header: stream id,
three zero bytes, big-endian payload length). A pump thread demultiplexes it: stdout payloads go
into a pipe whose read end the client selects on; stderr is kept as a bounded tail for diagnostics.
When the container dies the socket closes, the pump closes the pipe, and the client sees EOF at
once instead of waiting for its deadline.
"""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import struct
import threading
from collections.abc import Callable

__all__ = ["AttachedStream"]

_HEADER = struct.Struct(">BxxxL")
_STDOUT = 1
_STDERR = 2
_RECV_BYTES = 65536


class _SocketWriter:
    """The container's stdin: raw bytes over the hijacked connection (stdin is not framed)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def write(self, data: bytes) -> int:
        self._sock.sendall(data)
        return len(data)

    def flush(self) -> None:
        """Nothing is buffered: ``sendall`` already pushed the bytes."""


class AttachedStream:
    """Owns one attach socket: ``reader`` (a pipe with the container's stdout), ``writer`` (stdin).

    ``on_close`` is called once, from the pump thread, when the container's output ends (the
    container died or was removed); the pool uses it to heal without waiting for the next job.
    """

    def __init__(
        self,
        sock: socket.socket,
        *,
        name: str = "",
        stderr_tail_bytes: int = 8192,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._sock = sock
        self._name = name
        self._stderr_tail_bytes = stderr_tail_bytes
        self._stderr_tail = bytearray()
        self._on_close = on_close
        read_fd, self._write_fd = os.pipe()
        self.reader = os.fdopen(read_fd, "rb", buffering=0)
        self.writer = _SocketWriter(sock)
        self._eof = threading.Event()
        self._lock = threading.Lock()
        self._pump = threading.Thread(target=self._run, name=f"attach-{name}", daemon=True)
        self._pump.start()

    @property
    def closed(self) -> bool:
        """True once the container's output ended (or ``close`` was called)."""
        return self._eof.is_set()

    def stderr_tail(self) -> str:
        """The last bytes the container wrote to stderr (the runner's own crashes land there)."""
        with self._lock:
            return self._stderr_tail.decode("utf-8", "replace")

    def close(self) -> None:
        """Stop the pump and release both ends; idempotent."""
        for action in (
            functools.partial(self._sock.shutdown, socket.SHUT_RDWR),
            self._sock.close,
            self.reader.close,
        ):
            with contextlib.suppress(OSError):
                action()
        if threading.current_thread() is not self._pump:  # close() may run in on_close's callee
            self._pump.join(timeout=5.0)

    # -- the pump thread -----------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._demux()
        except (OSError, ValueError):
            pass
        finally:
            self._eof.set()  # before the pipe closes: a reader that sees EOF also sees `closed`
            with contextlib.suppress(OSError):
                os.close(self._write_fd)
            if self._on_close is not None:
                self._on_close()

    def _recv_exact(self, size: int) -> bytes | None:
        chunks = bytearray()
        while len(chunks) < size:
            chunk = self._sock.recv(min(size - len(chunks), _RECV_BYTES))
            if not chunk:
                return None
            chunks += chunk
        return bytes(chunks)

    def _demux(self) -> None:
        while True:
            header = self._recv_exact(_HEADER.size)
            if header is None:
                return
            stream, length = _HEADER.unpack(header)
            remaining = length
            while remaining:
                chunk = self._sock.recv(min(remaining, _RECV_BYTES))
                if not chunk:
                    return
                remaining -= len(chunk)
                if stream == _STDOUT:
                    self._write_all(chunk)
                elif stream == _STDERR:
                    self._keep_stderr(chunk)

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._write_fd, view)
            view = view[written:]

    def _keep_stderr(self, data: bytes) -> None:
        with self._lock:
            self._stderr_tail += data
            excess = len(self._stderr_tail) - self._stderr_tail_bytes
            if excess > 0:
                del self._stderr_tail[:excess]
