"""A snapshot of the engine, for the setup UI, the control API and the demo."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class InputStatus:
    id: str
    mode: str
    instrument: str
    active: bool  # the client is pressing it now
    sounding: tuple[str, ...]  # note names it is sounding, e.g. ("C4",)
    online: bool = True
    reason: str = ""  # why it is offline
    distance: float | None = None  # beams: the smoothed distance in metres
    zone: int | None = None  # beams: the current zone, 0 = nearest
    filtered: int | None = None  # pads: the chip's filtered reading, in counts
    baseline: int | None = None  # pads: its baseline; a touch pulls filtered below it


@dataclass(frozen=True, slots=True)
class EngineStatus:
    profile: str
    key: str
    scale: str
    volume: float
    gain: float
    synth: str  # a SynthState value
    synth_reason: str
    inputs: tuple[InputStatus, ...]
    notes_sounding: int
    events_handled: int
    errors: int
    last_error: str
    #: What client notes lock to now: the key ("C major pentatonic") or the
    #: therapist's chord ("A minor").
    harmony: str = ""
    #: The accompaniment loop playing ("calypso, bar 5"), or "".
    loop: str = ""
    #: Whose turn it is, and the presses out of turn ("player 2's turn; 3 out of turn").
    turns: str = ""
