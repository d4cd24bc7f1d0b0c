"""Shared fixtures: real FluidSynth renders, audio analysis, gpiozero mock pins."""

from __future__ import annotations

import json
import os

# CI runs with $CI set, and libraries change behaviour under it (pyfluidsynth
# prints where it found the library). Set it here, before anything imports
# them, so a run on a developer's machine meets what CI meets.
os.environ.setdefault("CI", "true")
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from audio_analysis import read_wav
from gpiozero import Device
from gpiozero.pins.mock import MockFactory
from hypothesis import settings

from appliance.config import BoxConfig
from appliance.profile import Profile, default_profile
from appliance.session.render import RenderResult, render_script
from appliance.session.script import parse_script

# The same examples on every run, so CI's verdict does not depend on luck;
# explore with --hypothesis-seed=random when hunting for new cases.
settings.register_profile("tonic", derandomize=True, deadline=None)
settings.load_profile("tonic")


@dataclass
class Rendered:
    result: RenderResult
    audio: np.ndarray  # float, shape (frames, 2), full scale = 1.0
    rate: int
    events: list[dict]

    def note_ons(self, source_prefix: str = "") -> list[dict]:
        return [
            e
            for e in self.events
            if e["type"] == "note_on" and str(e.get("source", "")).startswith(source_prefix)
        ]

    def segment(self, start_s: float, end_s: float) -> np.ndarray:
        return self.audio[int(start_s * self.rate) : int(end_s * self.rate)]


@pytest.fixture
def render(tmp_path: Path):
    """Render a session-script text through the real engine and FluidSynth."""

    def _render(
        text: str, profile: Profile | None = None, config: BoxConfig | None = None
    ) -> Rendered:
        out = tmp_path / "out.wav"
        events = tmp_path / "out.jsonl"
        result = render_script(
            parse_script(text, "test"),
            profile or default_profile(),
            config or BoxConfig(),
            out,
            events_out=events,
        )
        audio, rate = read_wav(out)
        lines = events.read_text().splitlines()
        return Rendered(result, audio, rate, [json.loads(line) for line in lines])

    return _render


@pytest.fixture
def mock_factory():
    """gpiozero's mock pins, installed as the default factory for the test."""
    factory = MockFactory()
    previous = Device.pin_factory
    Device.pin_factory = factory
    try:
        yield factory
    finally:
        factory.reset()
        Device.pin_factory = previous
