"""Channels: one per instrument voice, drums on channel 10, at most 15 melodic."""

from __future__ import annotations

import pytest

from appliance.engine.channels import ACCOMPANIMENT, MELODIC, ChannelMap
from appliance.errors import ProfileError
from appliance.sound.instruments import GM_INSTRUMENTS, instrument_for
from appliance.sound.synth import DRUM_CHANNEL, Channel


@pytest.fixture
def assigned() -> list[tuple[int, str]]:
    return []


@pytest.fixture
def channels(assigned) -> ChannelMap:
    return ChannelMap(lambda ch, inst: assigned.append((ch, inst.name)))


def test_melodic_channels_skip_the_drum_channel_and_the_bands():
    assert len(MELODIC) == 11
    assert DRUM_CHANNEL == 9
    assert DRUM_CHANNEL not in MELODIC
    assert not ACCOMPANIMENT & set(MELODIC)


def test_each_instrument_gets_its_own_channel_once(channels, assigned):
    marimba, flute = instrument_for("marimba"), instrument_for("flute")
    assert channels.channel_for(marimba) == 0
    assert channels.channel_for(flute) == 1
    assert channels.channel_for(marimba) == 0  # shared, not reassigned
    assert assigned == [(0, "marimba"), (1, "flute")]
    assert channels.assigned() == {0: marimba, 1: flute}


def test_same_instrument_by_another_name_shares_the_channel(channels, assigned):
    assert channels.channel_for(instrument_for("ocarina")) == 0
    assert channels.channel_for(instrument_for("80")) == 0  # GM number 80 is Ocarina
    assert assigned == [(0, "ocarina")]


def test_drum_kits_go_to_channel_ten(channels, assigned):
    kit = instrument_for("drums:0")
    assert kit.is_drums
    assert channels.channel_for(kit) == DRUM_CHANNEL
    assert channels.channel_for(instrument_for("marimba")) == 0


def test_a_second_drum_kit_takes_over_the_drum_channel(channels, assigned):
    first, second = instrument_for("drums:0"), instrument_for("drums:8")
    assert first.name != second.name
    assert channels.channel_for(first) == DRUM_CHANNEL
    assert channels.channel_for(second) == DRUM_CHANNEL
    assert channels.assigned()[DRUM_CHANNEL] == second
    assert channels.channel_for(first) == DRUM_CHANNEL  # reprogrammed back
    assert [name for _, name in assigned] == [first.name, second.name, first.name]


def test_more_than_eleven_melodic_instruments_is_a_clear_error(channels):
    for inst in GM_INSTRUMENTS[:11]:
        channels.channel_for(inst)
    assert set(channels.assigned()) == set(MELODIC)
    with pytest.raises(ProfileError, match=r"at most 11 different instruments") as e:
        channels.channel_for(GM_INSTRUMENTS[11])
    assert GM_INSTRUMENTS[11].title in str(e.value)
    # Drums still fit: they have their own channel.
    assert channels.channel_for(instrument_for("drums:0")) == DRUM_CHANNEL


def test_retain_frees_unused_channels_for_reuse(channels, assigned):
    marimba, flute, harp = (instrument_for(n) for n in ("marimba", "flute", "orchestral_harp"))
    channels.channel_for(marimba)
    channels.channel_for(flute)
    channels.retain({"flute"}, busy=set())
    assert channels.assigned() == {1: flute}
    assert channels.channel_for(harp) == 0  # the freed channel is reused
    assert assigned[-1] == (0, "orchestral_harp")


def test_retain_keeps_a_channel_that_is_still_sounding(channels):
    marimba, flute = instrument_for("marimba"), instrument_for("flute")
    channels.channel_for(marimba)
    channels.channel_for(flute)
    channels.retain(set(), busy={Channel(0)})
    assert channels.assigned() == {0: marimba}
    assert channels.channel_for(marimba) == 0


def test_changing_instruments_all_session_never_runs_out(channels):
    for inst in GM_INSTRUMENTS:
        channels.channel_for(inst)
        channels.retain({inst.name}, busy=set())
    assert len(channels.assigned()) == 1
