"""The sound card, the soundfont and the MIDI sequencer."""

from __future__ import annotations

import re
from pathlib import Path

from appliance.doctor.access import opens
from appliance.doctor.findings import Finding, Level
from appliance.errors import SoundfontError
from appliance.sound.soundfont import find_soundfont

_CARD = re.compile(r"^\s*(\d+)\s+\[(\S+)\s*\]:\s*(.*?)\s+-\s+(.*)$")
_HW_DEVICE = re.compile(r"^(?:plug)?hw:(?:CARD=)?([^,]+)")


def sound_cards(proc: Path) -> dict[str, str]:
    """ALSA's cards by number and by id ("0", "Headphones"), each to its name."""
    cards: dict[str, str] = {}
    for line in (proc / "asound" / "cards").read_text().splitlines():
        m = _CARD.match(line)
        if m:
            number, card_id, _, name = m.groups()
            cards[number] = cards[card_id] = f"card {number}: {name.strip()}"
    return cards


def check_audio(proc: Path, device: str | None = None) -> Finding:
    try:
        cards = sound_cards(proc)
    except FileNotFoundError:
        return Finding(
            "audio",
            Level.WARN,
            "no ALSA in this kernel: the box runs silent",
            "on a laptop, `tonic run --simulate` plays without a sound card",
        )
    if not cards:
        return Finding(
            "audio",
            Level.WARN,
            "no sound card: the box runs silent",
            "plug in the USB sound card, or switch on the Pi's jack with dtparam=audio=on "
            "in /boot/firmware/config.txt; `aplay -l` lists the cards",
        )
    listed = ", ".join(dict.fromkeys(cards.values()))
    m = _HW_DEVICE.match(device or "")
    if m and m.group(1) not in cards:
        return Finding(
            "audio",
            Level.FAIL,
            f"the config plays on {device}, which is not here (found {listed})",
            "set audio.device in /etc/tonic/tonic.toml to one of these (`aplay -l`)",
        )
    return Finding("audio", Level.OK, listed)


def check_soundfont(explicit: str | None = None) -> Finding:
    try:
        path = find_soundfont(explicit)
    except SoundfontError as e:
        return Finding(
            "soundfont",
            Level.FAIL,
            str(e),
            "sudo apt install timgm6mb-soundfont, or set soundfont in /etc/tonic/tonic.toml",
        )
    size_mb = path.stat().st_size / 1e6
    return Finding("soundfont", Level.OK, f"{path} ({size_mb:.0f} MB)")


def check_midi(dev: Path) -> Finding:
    seq = dev / "snd" / "seq"
    if not seq.exists():
        return Finding(
            "midi",
            Level.WARN,
            f"no ALSA MIDI sequencer ({seq}): USB-MIDI instruments will not be found",
            "sudo modprobe snd-seq; to load it at boot, add snd-seq to /etc/modules",
        )
    return opens("midi", seq, "the MIDI sequencer", "audio")
