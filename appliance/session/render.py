"""``tonic render``: a session script, played offline through the box's engine.

The render loop stands in for two things the live box has: the clock (it
jumps from one event time to the next) and the audio driver (it pulls
exactly the frames between events from FluidSynth). Everything in between
is the live engine code. The result is deterministic: the same script gives
the same WAV, sample for sample.

With ``--midi`` it also writes the MIDI record of the render
(:mod:`appliance.session.midi_record`), which FluidSynth's command line plays
back to the same audio.

Everything that can be refused is refused before the first frame: outputs
that would overwrite the script, a device node or each other, a render too
long for a WAV or for the free disk space. Temporary files from an earlier,
interrupted render of the same outputs are removed first.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from appliance.atomic import interrupts_deferred, remove_stale_temp_files, write_text_atomic
from appliance.box import build_engine, open_synth
from appliance.config import BoxConfig
from appliance.engine import Engine
from appliance.engine.band import DEFAULT_LOOP, SONG_INSTRUMENTS, profile_loop_start
from appliance.engine.song_steps import CHORD_INSTRUMENT
from appliance.engine.turns import CHIME_INSTRUMENT
from appliance.errors import OutputError, ProfileError, ScriptError, TonicError
from appliance.events import (
    BandAction,
    BandCommand,
    BeamReading,
    ControlChange,
    DevicePlugged,
    DeviceUnplugged,
    InputId,
    NoteOff,
    NoteOn,
    PitchBend,
    Pressed,
    Released,
    SetSetting,
    SoundEvent,
    is_midi,
)
from appliance.music.loops import loop_named
from appliance.music.songs import song_names
from appliance.profile import PlayMode, Profile
from appliance.profile.accompaniment import SECTIONS
from appliance.session.midi_record import write_midi_record
from appliance.session.script import Script, quote_line
from appliance.sound.fluid import FluidSynth
from appliance.sound.instruments import Instrument, instrument_for
from appliance.sound.wav import WavWriter

#: With no ``end`` line, keep rendering this long after the last event so notes ring.
RING_OUT_S = 2.0
#: After the final release, this much more audio lets release envelopes fade
#: instead of being cut off with a click.
RELEASE_TAIL_S = 0.5
_CHUNK = 4096
#: A WAV's header before the samples; its size fields are 32-bit, so the file
#: must stay under 4 GiB (which MAX_SCRIPT_SECONDS guarantees at 48 kHz).
WAV_HEADER_BYTES = 44
WAV_MAX_BYTES = 2**32 - 1
_BYTES_PER_FRAME = 4  # 16-bit stereo


#: What a MIDI device sends, once plugged in.
DEVICE_EVENTS = (NoteOn, NoteOff, ControlChange, PitchBend)


@dataclass(frozen=True, slots=True)
class RenderResult:
    wav: Path
    seconds: float
    peak: float  # fraction of full scale
    rms: float
    events: tuple[SoundEvent, ...]


def check_script(
    script: Script, profile: Profile, config: BoxConfig, origin: str
) -> frozenset[Instrument]:
    """Find bad settings and unknown inputs before any audio is written.

    ``set`` lines are applied in order to a copy of the profile, with the same
    validation the engine uses, so a script fails on its first bad line.
    Returns every instrument the script's inputs will play, so a live run can
    level them all before its clock starts.
    """
    inputs = set(config.input_ids())
    plugged: set[InputId] = set()
    instruments = _instruments(profile, inputs)
    if profile.loop.play:
        instruments |= _band_instruments(profile_loop_start(0.0), profile)
    for line in script.lines:
        event = line.event
        try:
            if isinstance(event, SetSetting):
                profile = profile.with_setting(event.path, event.value)
                instruments |= _instruments(profile, inputs | plugged)
                target, dot, _ = event.path.partition(".")
                if dot and target not in inputs and not is_midi(target) and target not in SECTIONS:
                    raise ProfileError(f"this box has no input '{target}'")
            elif isinstance(event, Pressed | Released | BeamReading) and event.source not in inputs:
                have = ", ".join(sorted(inputs))
                raise ProfileError(f"this box has no input '{event.source}' (have: {have})")
            elif isinstance(event, DevicePlugged):
                plugged.add(event.source)
                if event.role is not None:
                    profile = profile.with_setting(f"{event.source}.role", event.role)
                instruments |= _instruments(profile, {event.source})
            elif isinstance(event, DeviceUnplugged):
                plugged.discard(event.source)
            elif isinstance(event, BandCommand):
                instruments |= _band_instruments(event, profile)
            elif isinstance(event, DEVICE_EVENTS) and event.source not in plugged:
                first = f"<seconds> {event.source} plug"
                raise ProfileError(f"{event.source} is not plugged in; plug it first: {first}")
        except ProfileError as e:
            raise ScriptError(
                f"{origin} line {line.number}: {e}: {quote_line(line.text)}"
            ) from None
    return frozenset(instruments)


def _band_instruments(event: BandCommand, profile: Profile) -> set[Instrument]:
    """The instruments a band command will sound, to level ahead with the rest."""
    if event.action is BandAction.LOOP_START:
        loop = loop_named(event.name or profile.loop.name or DEFAULT_LOOP)
        return {instrument_for(part.instrument) for part in loop.parts}
    if event.action is BandAction.SONG_START:
        return set(SONG_INSTRUMENTS.values())
    return set()


def _instruments(profile: Profile, inputs: set[InputId]) -> set[Instrument]:
    """Every instrument ``inputs`` may sound, with the song chords and turn cues they bring."""
    names = set()
    for iid in inputs:
        settings = profile.settings_for(iid)
        names.add(settings.instrument)
        if getattr(settings, "mode", None) is PlayMode.SEQUENCE and settings.accompany:
            names.add(CHORD_INSTRUMENT)
        if getattr(settings, "player", 0):
            names.add(CHIME_INSTRUMENT)
    found = {instrument_for(name) for name in names}
    for iid in inputs:  # a choice brings its song's or loop's instruments
        settings = profile.settings_for(iid)
        if getattr(settings, "mode", None) is PlayMode.CHOICE:
            name = settings.choice or settings.song
            action = BandAction.SONG_START if name in song_names() else BandAction.LOOP_START
            found |= _band_instruments(BandCommand(0.0, action, name), profile)
    return found


def check_outputs(
    out: str | os.PathLike[str],
    events_out: str | os.PathLike[str] | None = None,
    sources: Sequence[str | os.PathLike[str]] = (),
    *,
    midi_out: str | os.PathLike[str] | None = None,
) -> None:
    """Refuse, with one line, outputs that would destroy something.

    An output may not be one of the ``sources`` being read (``-o`` naming the
    script would replace it with the WAV), an existing file that is not a
    regular file (replacing ``/dev/null`` with a WAV, as root, breaks the
    system), or the same file as another output (one would be lost).
    Symbolic links are followed, and files compared by inode, so two
    spellings of one path are one file.
    """
    outputs = [("-o", Path(out))]
    if events_out is not None:
        outputs.append(("--events", Path(events_out)))
    if midi_out is not None:
        outputs.append(("--midi", Path(midi_out)))
    for option, path in outputs:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            continue
        except OSError as e:
            raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
        if not stat.S_ISREG(info.st_mode):
            raise OutputError(
                f"cannot write {path} ({option}): it exists and is not a regular file"
            )
        for source in sources:
            if _same_file(path, Path(source)):
                raise OutputError(f"{option} {path} is the file being read; choose another name")
    for i, (option, path) in enumerate(outputs):
        for earlier_option, earlier in outputs[:i]:
            if _same_file(earlier, path):
                raise OutputError(
                    f"{option} {path} is the same file as {earlier_option} {earlier}; "
                    "give each its own"
                )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one does not exist yet: compare where they would be
        return os.path.realpath(a) == os.path.realpath(b)


def check_length(script: Script, rate: int, origin: str) -> None:
    """Refuse a render whose WAV would pass the format's 4 GiB limit, naming the line.

    :data:`~appliance.session.script.MAX_SCRIPT_SECONDS` keeps every script
    inside it at the box's sample rates; this holds the line if they change.
    """
    seconds = _render_seconds(script)
    if WAV_HEADER_BYTES + round(seconds * rate) * _BYTES_PER_FRAME > WAV_MAX_BYTES:
        last = script.lines[-1].number if script.lines else 0
        raise ScriptError(
            f"{origin} line {last}: a render of {seconds:,.0f} s at {rate} Hz "
            "would pass a WAV file's 4 GiB limit"
        )


def check_space(out: str | os.PathLike[str], script: Script, rate: int) -> None:
    """Refuse a render that would fill the disk, before it starts."""
    needed = WAV_HEADER_BYTES + round(_render_seconds(script) * rate) * _BYTES_PER_FRAME
    try:
        disk = os.statvfs(Path(out).parent)
    except OSError:
        return  # the write itself will say why
    free = disk.f_bavail * disk.f_frsize
    if needed > free:
        raise OutputError(
            f"cannot write {out}: the render needs {needed / 1e6:,.1f} MB "
            f"and only {free / 1e6:,.1f} MB are free"
        )


def _end_time(script: Script) -> float:
    """When the script ends: its ``end`` line, or a ring-out after its last event."""
    return script.end if script.end is not None else script.last_time + RING_OUT_S


def _render_seconds(script: Script) -> float:
    return _end_time(script) + RELEASE_TAIL_S


def render_script(
    script: Script,
    profile: Profile,
    config: BoxConfig,
    out: str | os.PathLike[str],
    *,
    events_out: str | os.PathLike[str] | None = None,
    midi_out: str | os.PathLike[str] | None = None,
    soundfont: str | None = None,
    origin: str = "script",
    sources: Sequence[str | os.PathLike[str]] = (),
) -> RenderResult:
    """Render ``script`` to the WAV ``out`` (its events to ``events_out``, its
    MIDI record to ``midi_out``).

    ``sources`` are the files the render reads (the script), which no output
    may overwrite. Nothing is rendered until every check has passed.
    """
    check_outputs(out, events_out, sources, midi_out=midi_out)
    check_script(script, profile, config, origin)
    synth = open_synth(config, soundfont)
    try:
        check_length(script, synth.sample_rate, origin)
        check_space(out, script, synth.sample_rate)
        for path in (out, events_out, midi_out):
            if path is not None:
                remove_stale_temp_files(Path(path).parent, Path(path).name)
        log: list[SoundEvent] = []
        engine = build_engine(config, profile, synth, [log.append])
        with _output(out), contextlib.ExitStack() as stack:
            with interrupts_deferred():  # no Ctrl-C between creating the temp and its cleanup
                wav = stack.enter_context(WavWriter(out, synth.sample_rate))
            _play(script, engine, synth, wav)
            if events_out is not None:
                lines = (json.dumps(e.as_json()) + "\n" for e in log)
                with _output(events_out):
                    write_text_atomic(events_out, "".join(lines))
            if midi_out is not None:
                with _output(midi_out):
                    write_midi_record(midi_out, log, synth.sample_rate, end_s=wav.seconds)
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

    if engine.profile.loop.play:  # the profile's loop plays from the start
        engine.handle(profile_loop_start(0.0))
    for line in script.lines:
        advance_to(line.event.t)
        engine.handle(line.event)
    end = _end_time(script)
    advance_to(end)
    engine.release_all(end, "end")
    render_to(end + RELEASE_TAIL_S)
