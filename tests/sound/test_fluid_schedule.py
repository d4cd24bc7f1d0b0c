"""Notes scheduled on FluidSynth's own sequencer, timed by its sample clock."""

from __future__ import annotations

import numpy as np

from appliance.sound import sequencer
from appliance.sound.fluid import BLOCK_FRAMES
from appliance.sound.instruments import instrument_for
from appliance.sound.synth import Channel, Scheduled

PIANO = instrument_for("acoustic_grand_piano")
CH = Channel(0)
TAIL_BLOCKS = 60


def _direct(new_synth, block: int) -> np.ndarray:
    synth = new_synth()
    synth.select_instrument(CH, PIANO)
    before = synth.render(block * BLOCK_FRAMES)
    synth.note_on(CH, 72, 110)
    return np.concatenate([before, synth.render(TAIL_BLOCKS * BLOCK_FRAMES)])


def test_a_scheduled_note_sounds_to_the_sample_as_a_call_made_at_its_block(new_synth):
    for block in (1, 10, 37, 377, 1000):
        synth = new_synth()
        synth.select_instrument(CH, PIANO)
        synth.schedule([Scheduled(block, CH, 72, 110, group=1)])
        scheduled = synth.render((block + TAIL_BLOCKS) * BLOCK_FRAMES)
        assert np.array_equal(scheduled, _direct(new_synth, block)), block


def test_the_render_need_not_fall_on_block_boundaries(new_synth):
    synth = new_synth()
    synth.select_instrument(CH, PIANO)
    synth.schedule([Scheduled(50, CH, 72, 110, group=1)])
    pieces = [synth.render(n) for n in (1, 100, 777, 2000, 3000 - 2878)]
    assert synth.sample_clock() == 3000
    whole = np.concatenate([*pieces, synth.render((50 + TAIL_BLOCKS) * BLOCK_FRAMES - 3000)])
    assert np.array_equal(whole, _direct(new_synth, 50))


def _scheduled(new_synth, events: list[Scheduled], cancel: list[int] | None, blocks: int):
    synth = new_synth()
    synth.select_instrument(CH, PIANO)
    synth.schedule(events)
    if cancel is not None:
        synth.cancel(cancel or None)
    return synth.render(blocks * BLOCK_FRAMES)


def test_a_cancelled_group_never_sounds_and_the_others_do(new_synth):
    notes = [Scheduled(10, CH, 72, 110, 1), Scheduled(400, CH, 60, 110, 2)]
    notes.append(Scheduled(800, CH, 67, 110, 3))
    cancelled = _scheduled(new_synth, notes, [2], 1000)
    without = _scheduled(new_synth, [notes[0], notes[2]], None, 1000)
    assert np.array_equal(cancelled, without)
    assert not np.array_equal(cancelled, _scheduled(new_synth, notes, None, 1000))


def test_cancel_all_takes_back_everything_still_to_come(new_synth):
    notes = [Scheduled(b, CH, 72, 110, group=b) for b in (100, 200, 300)]
    synth = new_synth()
    synth.schedule(notes)
    assert synth.has_scheduled()
    synth.cancel()
    assert np.array_equal(synth.render(400 * BLOCK_FRAMES), _scheduled(new_synth, [], None, 400))


def test_a_renewed_sequencer_keeps_the_blocks_exact(new_synth, monkeypatch):
    """Made afresh when idle (so its tick counter never wraps), it still plays on the block."""
    monkeypatch.setattr(sequencer, "RENEW_AFTER_S", 0.05)
    synth = new_synth()
    synth.select_instrument(CH, PIANO)
    first = synth._sequencer._seq
    synth.schedule([Scheduled(10, CH, 60, 110, group=1), Scheduled(20, CH, 60, 0, group=1)])
    before = synth.render(377 * BLOCK_FRAMES + 17)  # idle, old, and mid-block
    synth.schedule([Scheduled(400, CH, 72, 110, group=2)])
    assert synth._sequencer._seq is not first
    after = synth.render((400 + TAIL_BLOCKS) * BLOCK_FRAMES - len(before) // 2)
    direct = new_synth()
    direct.select_instrument(CH, PIANO)
    direct.render(10 * BLOCK_FRAMES)
    direct.note_on(CH, 60, 110)
    direct.render(10 * BLOCK_FRAMES)
    direct.note_off(CH, 60)
    direct.render((400 - 20) * BLOCK_FRAMES)
    direct.note_on(CH, 72, 110)
    tail = direct.render(TAIL_BLOCKS * BLOCK_FRAMES // 2)
    heard = np.concatenate([before, after])[400 * BLOCK_FRAMES * 2 :][: len(tail)]
    assert np.array_equal(heard, tail)


def test_a_busy_blocks_notes_are_played_in_the_order_given(new_synth):
    """A chord's notes on one block: each gets a tick of its own, in order, all
    of them reached first at the block before it."""
    synth = new_synth()
    seq = synth._sequencer
    stamps = [seq._tick_for(80) for _ in range(sequencer.TICKS_PER_MS)]
    assert stamps == sorted(set(stamps))
    assert seq._now_tick(78) < stamps[0] and stamps[-1] <= seq._now_tick(79)
