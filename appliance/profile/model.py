"""What a profile is: one client's settings, as immutable values.

A profile says which key and scale the client plays in, how loud the box may
be, and how each input behaves. It never says which GPIO pin an input is on;
that belongs to the box (:mod:`appliance.config`), not to the client.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from appliance.errors import MusicError, ProfileError
from appliance.events import InputId, midi_input_id, parse_input_id
from appliance.music import Key, parse_pitch_class, scale_named
from appliance.profile.accompaniment import SECTIONS, LoopSettings, TurnSettings
from appliance.profile.fields import from_text, in_range, setting, specs
from appliance.profile.inputs import (
    BeamSettings,
    MidiSettings,
    PadSettings,
    PlayMode,
    default_settings,
)
from appliance.textfile import EXCERPT_CHARS, excerpt

PROFILE_VERSION = 1

MAX_INPUT_NUMBER = 64
"""More inputs of one kind than any box has (26 GPIO pins; four 12-pad boards)."""

INPUT_NUMBERS = f"inputs are numbered from 1 to {MAX_INPUT_NUMBER}, as labelled on the box"


class HarmonySource(StrEnum):
    """What client notes lock to (appliance/engine/harmony.py)."""

    SCALE = "scale"  # the profile's key and scale
    THERAPIST = "therapist"  # the chord the therapist's MIDI keyboard holds
    LOOP = "loop"  # the accompaniment loop's chord, bar by bar


def _key(name: str) -> str:
    parse_pitch_class(name)
    name = name.strip()
    return name[:1].upper() + name[1:]  # "f#" is shown as "F#"


def _scale(name: str) -> str:
    return scale_named(name).name


#: The tempi a loop plays at: slow enough for a lullaby, quick enough for a reel.
TEMPO_RANGE = (40, 160)


def _tempo(bpm: int) -> int:
    lo, hi = TEMPO_RANGE
    if bpm != 0 and not lo <= bpm <= hi:
        raise ValueError(f"must be 0 (each loop's own) or in range {lo}..{hi}, got {bpm}")
    return bpm


@dataclass(frozen=True, slots=True)
class Profile:
    """A client's profile, validated. Change it with :meth:`with_setting`."""

    name: str = setting("Default", str, "what the therapist calls this profile")
    key: str = setting("C", str, "key note: C, F#, Bb, ...", _key)
    scale: str = setting("major_pentatonic", str, "a name from `tonic scales`", _scale)
    volume: float = setting(0.6, float, "0..1 of the box's safe maximum", in_range(0.0, 1.0))
    harmony: HarmonySource = setting(
        HarmonySource.SCALE, HarmonySource, "what client notes lock to: scale, therapist or loop"
    )
    tempo: int = setting(0, int, "beats per minute, 40..160; 0 = each loop's own", _tempo)
    loop: LoopSettings = field(default_factory=LoopSettings)
    turns: TurnSettings = field(default_factory=TurnSettings)
    inputs: Mapping[InputId, Any] = field(default_factory=lambda: MappingProxyType({}))
    version: int = PROFILE_VERSION

    def settings_for(self, iid: InputId) -> Any:
        found = self.inputs.get(iid)
        return found if found is not None else default_settings(iid)

    def with_setting(self, path: str, text: str) -> Profile:
        """Return a copy with one setting changed, parsed from text.

        ``path`` is ``key``, ``scale``, ``volume``, ``name`` or
        ``<input>.<field>`` such as ``switch:1.mode``. Raises
        :class:`ProfileError` naming the path and, for an unknown field, the
        valid ones.
        """
        return self.with_settings([(path, text)])

    def with_settings(self, changes: Iterable[tuple[str, str]]) -> Profile:
        """Return a copy with several settings changed together, or raise.

        Combinations are checked once all are applied, so ``near`` and ``far``
        can move past each other in one request.
        """
        profile = self
        for path, text in changes:
            profile = profile._with_one(path, text)
        return _playable(profile)

    def _with_one(self, path: str, text: str) -> Profile:
        target, dot, fieldname = path.partition(".")
        if dot and target in SECTIONS:
            section = _replace(getattr(self, target), fieldname, text, path)
            return dataclasses.replace(self, **{target: section})
        if not dot:
            if path == "inputs" or path == "version" or path in SECTIONS:
                raise ProfileError(f"{path} cannot be set; valid settings: {top_level_names()}")
            return _replace(self, path, text, path)
        if len(target) > EXCERPT_CHARS:  # no input's name is this long; do not quote it all
            raise ProfileError(f"{excerpt(target)} is not an input name like switch:1")
        if target.startswith("midi:"):
            try:
                iid = midi_input_id(target.removeprefix("midi:"))
            except ValueError as e:
                raise ProfileError(f"{_shown(path)}: {e}") from None
            changed = _replace(self.settings_for(iid), fieldname, text, path)
            return dataclasses.replace(self, inputs=MappingProxyType({**self.inputs, iid: changed}))
        try:
            _, number = parse_input_id(target)
        except ValueError as e:
            raise ProfileError(f"{_shown(path)}: {e}") from None
        if number > MAX_INPUT_NUMBER:
            raise ProfileError(f"{_shown(path)}: {INPUT_NUMBERS}")
        iid = InputId(target)
        changed = _replace(self.settings_for(iid), fieldname, text, path)
        return dataclasses.replace(self, inputs=MappingProxyType({**self.inputs, iid: changed}))


def unplayable(
    profile: Profile,
    inputs: Iterable[InputId] | None = None,
    *,
    check_range: bool = True,
) -> list[str]:
    """Combinations of settings that are each valid alone but cannot play.

    Degree 36 in octave 7 would put a note above the top of the keyboard, and
    a beam whose ``near`` is beyond its ``far`` has no playing range; such an
    input would silently play nothing, so the combination is refused where
    it is set.

    A loader reporting every problem at once passes only the ``inputs`` whose
    own fields were all valid (a field that failed left a default behind,
    which would make a spurious pairing), and ``check_range=False`` when the
    key or scale failed (the range of notes depends on them).
    """
    key = Key.parse(profile.key, profile.scale)
    chosen = profile.inputs.keys() if inputs is None else inputs
    problems = []
    for iid in chosen:
        settings = profile.inputs[iid]
        if isinstance(settings, PadSettings) and (
            settings.release_threshold >= settings.touch_threshold
        ):
            # The chip needs a gap between the two, or a touch flickers on and off.
            problems.append(
                f"{iid}: release_threshold ({settings.release_threshold}) must be less than "
                f"touch_threshold ({settings.touch_threshold})"
            )
        if isinstance(settings, BeamSettings) and settings.near >= settings.far:
            problems.append(
                f"{iid}: near ({settings.near} m) must be less than far ({settings.far} m)"
            )
        if not check_range or isinstance(settings, MidiSettings):
            continue  # a MIDI device plays the keys struck, not a degree
        try:
            key.degree_to_note(settings.degree, settings.octave)
            key.degree_to_note(_highest_degree(settings), settings.octave)
        except MusicError:
            problems.append(
                f"{iid}: degree {settings.degree} in octave {settings.octave} reaches outside "
                f"the range of notes in {key.name}; choose a lower degree or octave"
            )
    return problems


def _highest_degree(settings: Any) -> int:
    if isinstance(settings, BeamSettings):
        return settings.degree + settings.zones - 1  # one scale step per zone
    # A chord reaches four scale steps above its degree.
    return settings.degree + (4 if settings.mode is PlayMode.CHORD else 0)


def _playable(profile: Profile) -> Profile:
    problems = unplayable(profile)
    if problems:
        raise ProfileError("; ".join(problems))
    return profile


def _shown(path: str) -> str:
    # A setting's path as typed, unless it is too long or odd to print bare.
    return path if len(path) <= EXCERPT_CHARS and path.isprintable() else excerpt(path)


def top_level_names() -> str:
    sections = ", ".join(f"{name}.<field>" for name in SECTIONS)
    return ", ".join(specs(Profile)) + f", {sections}, <input>.<field>"


def _replace(obj: Any, fieldname: str, text: str, path: str) -> Any:
    spec = specs(type(obj)).get(fieldname)
    if spec is None:
        valid = ", ".join(specs(type(obj)))
        raise ProfileError(f"unknown setting {excerpt(path)}; valid fields are: {valid}")
    try:
        value = from_text(spec, text)
    except ValueError as e:
        raise ProfileError(f"{_shown(path)}: {e}") from None
    return dataclasses.replace(obj, **{fieldname: value})
