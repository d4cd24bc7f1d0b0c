"""``tonic render``: a session script, played offline through the box's engine.

The render loop stands in for two things the live box has: the clock (it
jumps from one event time to the next) and the audio driver (it pulls
exactly the frames between events from FluidSynth). Everything in between
is the live engine code. The result is deterministic: the same script gives
the same WAV, sample for sample.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from appliance.atomic import write_text_atomic
from appliance.box import build_engine, open_synth
from appliance.config import BoxConfig
from appliance.engine import Engine
from appliance.errors import OutputError, ProfileError, ScriptError, TonicError
from appliance.events import BeamReading, Pressed, Released, SetSetting, SoundEvent
from appliance.profile import Profile
from appliance.session.script import Script
from appliance.sound.fluid import FluidSynth
from appliance.sound.wav import WavWriter

#: With no ``end`` line, keep rendering this long after the last event so notes ring.
RING_OUT_S = 2.0
#: After the final release, this much more audio lets release envelopes fade
#: instead of being cut off with a click.
RELEASE_TAIL_S = 0.5
_CHUNK = 4096


@dataclass(frozen=True, slots=True)
class RenderResult:
    wav: Path
    seconds: float
    peak: float  # fraction of full scale
    rms: float
    events: tuple[SoundEvent, ...]


def check_script(script: Script, profile: Profile, config: BoxConfig, origin: str) -> None:
    """Find bad settings and unknown inputs before any audio is written.

    ``set`` lines are applied in order to a copy of the profile, with the same
    validation the engine uses, so a script fails on its first bad line.
    """
    inputs = set(config.input_ids())
    for line in script.lines:
        event = line.event
        try:
            if isinstance(event, SetSetting):
                profile = profile.with_setting(event.path, event.value)
                target, dot, _ = event.path.partition(".")
                if dot and target not in inputs:
                    raise ProfileError(f"this box has no input '{target}'")
            elif isinstance(event, Pressed | Released | BeamReading) and event.source not in inputs:
                have = ", ".join(sorted(inputs))
                raise ProfileError(f"this box has no input '{event.source}' (have: {have})")
        except ProfileError as e:
            raise ScriptError(f"{origin} line {line.number}: {e}: '{line.text}'") from None


def render_script(
    script: Script,
    profile: Profile,
    config: BoxConfig,
    out: str | os.PathLike[str],
    *,
    events_out: str | os.PathLike[str] | None = None,
    soundfont: str | None = None,
    origin: str = "script",
) -> RenderResult:
    check_script(script, profile, config, origin)
    synth = open_synth(config, soundfont)
    try:
        log: list[SoundEvent] = []
        engine = build_engine(config, profile, synth, [log.append])
        with _output(out), WavWriter(out, synth.sample_rate) as wav:
            _play(script, engine, synth, wav)
            if events_out is not None:
                lines = (json.dumps(e.as_json()) + "\n" for e in log)
                with _output(events_out):
                    write_text_atomic(events_out, "".join(lines))
            path = wav.commit()
            return RenderResult(path, wav.seconds, wav.peak_level, wav.rms_level, tuple(log))
    finally:
        synth.close()


@contextmanager
def _output(path: str | os.PathLike[str]) -> Iterator[None]:
    """Report a file that cannot be written as one clear line, not a traceback."""
    try:
        yield
    except OSError as e:
        if isinstance(e, TonicError):
            raise
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None


def _play(script: Script, engine: Engine, synth: FluidSynth, wav: WavWriter) -> None:
    rate = synth.sample_rate
    position = 0  # frames rendered so far

    def render_to(t: float) -> None:
        nonlocal position
        target = round(t * rate)
        while position < target:
            n = min(_CHUNK, target - position)
            wav.write(synth.render(n))
            position += n

    def advance_to(t: float) -> None:
        # Timers (dwell, release delay, max note length) fire at their own
        # times, between the script's events, exactly as they would live.
        while (deadline := engine.next_deadline()) is not None and deadline <= t:
            render_to(deadline)
            engine.tick(deadline)
        render_to(t)

    for line in script.lines:
        advance_to(line.event.t)
        engine.handle(line.event)
    end = script.end if script.end is not None else script.last_time + RING_OUT_S
    advance_to(end)
    engine.release_all(end, "end")
    render_to(end + RELEASE_TAIL_S)
