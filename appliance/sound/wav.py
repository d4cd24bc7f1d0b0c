"""Writing rendered audio to a WAV file that either appears whole or not at all."""

from __future__ import annotations

import os
import wave
from pathlib import Path
from types import TracebackType

import numpy as np

from appliance.atomic import create_temp_file, file_mode, fsync_dir


class WavWriter:
    """48 kHz (or ``rate``), stereo, 16-bit WAV, written to a hidden temporary
    file and renamed into place by :meth:`commit`. If the writer is closed any
    other way, for example because rendering failed, no file is left behind."""

    def __init__(self, path: str | os.PathLike[str], rate: int) -> None:
        self.path = Path(path)
        self.rate = rate
        self.frames = 0
        self.peak = 0
        self._sum_squares = 0.0
        # Held (with its lock) until commit()/discard(): a sweep for stale
        # temporary files then knows this one is being written.
        self._lock, self._tmp = create_temp_file(self.path)
        # Held open across write() calls and closed by commit()/discard().
        self._wav: wave.Wave_write | None = wave.open(str(self._tmp), "wb")  # noqa: SIM115
        self._wav.setnchannels(2)
        self._wav.setsampwidth(2)
        self._wav.setframerate(rate)

    def write(self, samples: np.ndarray) -> None:
        """Append interleaved int16 stereo samples."""
        assert self._wav is not None, "writer already closed"
        self._wav.writeframesraw(samples.astype("<i2", copy=False).tobytes())
        self.frames += len(samples) // 2
        if len(samples):
            self.peak = max(self.peak, int(np.abs(samples.astype(np.int32)).max()))
            self._sum_squares += float(np.square(samples.astype(np.float64)).sum())

    @property
    def seconds(self) -> float:
        return self.frames / self.rate

    @property
    def peak_level(self) -> float:
        """Peak as a fraction of full scale (1.0 = clipping)."""
        return self.peak / 32768

    @property
    def rms_level(self) -> float:
        n = self.frames * 2
        return (self._sum_squares / n) ** 0.5 / 32768 if n else 0.0

    def commit(self) -> Path:
        """Finish the file and move it into place."""
        assert self._wav is not None, "writer already closed"
        self._wav.close()
        self._wav = None
        # Data on disk before the rename, the rename on disk before we return:
        # a pulled plug leaves the old file or the whole new one.
        with self._tmp.open("rb+") as f:
            os.fchmod(f.fileno(), file_mode(self.path))
            os.fsync(f.fileno())
        os.replace(self._tmp, self.path)
        self._unlock()
        fsync_dir(self.path.parent)
        return self.path

    def discard(self) -> None:
        if self._wav is not None:
            self._wav.close()
            self._wav = None
        self._tmp.unlink(missing_ok=True)
        self._unlock()

    def _unlock(self) -> None:
        if self._lock >= 0:
            os.close(self._lock)
            self._lock = -1

    def __enter__(self) -> WavWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Only an explicit commit() keeps the file.
        self.discard()
