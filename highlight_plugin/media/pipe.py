"""An ffmpeg subprocess streamed through a bounded queue: every reader's transport."""
import queue
import subprocess
import threading
from typing import Iterator, List

from highlight_plugin.engine.errors import DataError


class _Pipe:
    """An ffmpeg subprocess read by a thread into a bounded queue of chunks.

    The thread lets ffmpeg decode the next chunk while the caller runs the networks on
    the current one (the OS pipe buffer alone is only 64 KiB).
    """

    def __init__(self, cmd: List[str], chunk_bytes: int, prefetch: int = 2):
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.chunk_bytes = chunk_bytes
        self.queue: 'queue.Queue' = queue.Queue(maxsize=prefetch)
        self.stderr = b''
        self._err_thread = threading.Thread(target=self._drain_stderr, daemon=True)
        self._err_thread.start()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _drain_stderr(self):
        self.stderr = self.proc.stderr.read()

    def _read(self):
        try:
            while True:
                buf = self.proc.stdout.read(self.chunk_bytes)
                if not buf:
                    break
                self.queue.put(bytearray(buf))  # writable, so numpy views can feed torch
        finally:
            self.queue.put(None)

    def __iter__(self) -> Iterator[bytes]:
        try:
            while True:
                buf = self.queue.get()
                if buf is None:
                    break
                yield buf
            rc = self.proc.wait()
            self._err_thread.join()
            if rc != 0:
                msg = self.stderr.decode(errors='replace').strip().splitlines()
                raise DataError(f'ffmpeg failed (exit {rc}): {msg[-1] if msg else "no message"}')
        finally:
            self.close()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        # unblock the reader thread if it waits on a full queue
        while self._thread.is_alive():
            try:
                self.queue.get_nowait()
            except queue.Empty:
                self._thread.join(timeout=0.05)
        self._err_thread.join()  # ffmpeg has exited: stderr is at its end
        self.proc.stdout.close()
        self.proc.stderr.close()
