"""Capped output streams: stdout and stderr keep at most a cap of bytes each, and the
reader learns that output was cut (one byte past the cap gets through)."""

import io
import os
import sys


class _Cap:
    """Shared byte allowance of one stream. One byte past the cap is let
    through, so the reader (which keeps cap bytes) knows output was cut."""

    def __init__(self, fd, cap):
        self.fd = fd
        self.remaining = cap + 1

    def write_bytes(self, data):
        if self.remaining <= 0 or len(data) == 0:
            return
        view = memoryview(data).cast("B")[: self.remaining]
        self.remaining -= len(view)
        while len(view):
            written = os.write(self.fd, view)
            view = view[written:]


class CappedBinaryStream(io.RawIOBase):
    def __init__(self, cap):
        self._cap = cap

    def writable(self):
        return True

    def write(self, data):
        self._cap.write_bytes(data)
        return len(data)

    def fileno(self):
        return self._cap.fd


class CappedTextStream(io.TextIOBase):
    """sys.stdout / sys.stderr: unbuffered, writes through to the fd until the
    cap, then drops; never encodes more than the remaining allowance (a 1 GB
    print costs nothing beyond the string itself)."""

    def __init__(self, fd, cap):
        self._cap = _Cap(fd, cap)
        self._binary = CappedBinaryStream(self._cap)

    @property
    def encoding(self):
        return "utf-8"

    @property
    def errors(self):
        return "backslashreplace"

    @property
    def buffer(self):
        return self._binary

    def writable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        return self._cap.fd

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not %s" % type(text).__name__)
        if self._cap.remaining > 0:
            self._cap.write_bytes(text[: self._cap.remaining].encode("utf-8", "backslashreplace"))
        return len(text)

    def flush(self):
        pass


def capture_output(cap_bytes):
    sys.stdout = CappedTextStream(1, cap_bytes)
    sys.stderr = CappedTextStream(2, cap_bytes)
    sys.__stdout__, sys.__stderr__ = sys.stdout, sys.stderr
