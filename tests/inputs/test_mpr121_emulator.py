"""The MPR121 emulator, driven by Adafruit's real driver over its fake I2C bus."""

from __future__ import annotations

import queue

import adafruit_mpr121
import pytest

from appliance.inputs.mpr121_emulator import (
    CONFIG2,
    ECR,
    FIRM_TOUCH,
    RELEASE_THRESHOLD,
    TOUCH_THRESHOLD,
    UNTOUCHED_COUNTS,
)


@pytest.fixture
def driver(chip):
    return adafruit_mpr121.MPR121(chip)


def test_power_up_defaults_are_what_the_driver_checks(chip):
    assert chip.register(CONFIG2) == 0x24
    assert chip.register(ECR) == 0x00
    assert chip.touched_mask == 0


def test_the_real_driver_initialises(chip, driver):
    # It soft-reset the chip, passed the CONFIG2 check, then configured it.
    assert chip.register(ECR) == 0x8F  # Run mode, all 12 electrodes
    assert chip.register(CONFIG2) == 0x20  # what the driver writes after its check
    assert [chip.register(TOUCH_THRESHOLD + 2 * i) for i in range(12)] == [12] * 12
    assert [chip.register(RELEASE_THRESHOLD + 2 * i) for i in range(12)] == [6] * 12
    assert driver.touched() == 0


def test_a_wrong_address_is_remote_io_error_on_the_bus(chip):
    with pytest.raises(OSError) as caught:
        chip.writeto(0x5B, b"\x00")
    assert caught.value.errno == 121
    # The driver's probe turns it into its own ValueError, keeping the cause.
    with pytest.raises(ValueError, match="No I2C device at address: 0x5b") as caught_driver:
        adafruit_mpr121.MPR121(chip, address=0x5B)
    assert isinstance(caught_driver.value.__context__, OSError)
    assert caught_driver.value.__context__.errno == 121


def test_register_pointer_auto_increments(chip):
    chip.writeto(0x5A, bytes([TOUCH_THRESHOLD, 30, 15, 31, 16]))  # Stop mode: accepted
    out = bytearray(4)
    chip.writeto_then_readfrom(0x5A, bytes([TOUCH_THRESHOLD]), out)
    assert list(out) == [30, 15, 31, 16]
    more = bytearray(2)
    chip.readfrom_into(0x5A, more)  # carries on from where the last read stopped
    assert list(more) == [0, 0]
    assert chip.read_log[-1] == (TOUCH_THRESHOLD + 4, 2)


def test_configuration_writes_are_ignored_in_run_mode(chip, driver):
    chip.writeto(0x5A, bytes([TOUCH_THRESHOLD, 99]))  # without the ECR = 0 wrapper
    assert chip.register(TOUCH_THRESHOLD) == 12
    driver[0].threshold = 99  # the driver's write stops the chip first
    assert chip.register(TOUCH_THRESHOLD) == 99
    assert chip.register(ECR) == 0x8F


def test_soft_reset_restores_the_defaults(chip, driver):
    chip.writeto(0x5A, bytes([0x80, 0x63]))
    assert chip.register(CONFIG2) == 0x24
    assert chip.register(ECR) == 0
    assert chip.register(TOUCH_THRESHOLD) == 0


def test_touch_lowers_filtered_data_below_baseline_and_sets_the_status(chip, driver):
    chip.touch(2)
    assert driver.touched() == 1 << 2
    assert driver.filtered_data(2) == UNTOUCHED_COUNTS[2] - FIRM_TOUCH
    assert driver.baseline_data(2) == UNTOUCHED_COUNTS[2]  # multiple of 4: exact
    assert driver.filtered_data(3) == UNTOUCHED_COUNTS[3]
    chip.touch(11)
    assert driver.touched_pins == (False, False, True) + (False,) * 8 + (True,)
    chip.release(2)
    chip.release(11)
    assert driver.touched() == 0
    assert driver.filtered_data(2) == UNTOUCHED_COUNTS[2]


def test_the_chip_compares_with_the_thresholds_in_its_registers(chip, driver):
    driver[5].threshold = 40
    driver[5].release_threshold = 20
    chip.set_signal(5, 40)  # must exceed the touch threshold
    assert driver.touched() == 0
    chip.set_signal(5, 41)
    assert driver.touched() == 1 << 5
    chip.set_signal(5, 20)  # hysteresis: held until below the release threshold
    assert driver.touched() == 1 << 5
    chip.set_signal(5, 19)
    assert driver.touched() == 0


def test_only_enabled_electrodes_report(chip):
    chip.touch(0)
    chip.touch(6)
    assert chip.touched_mask == 0  # ECR = 0 at power-up: Stop mode
    chip.writeto(0x5A, bytes([ECR, 0x84]))  # electrodes 0..3 only
    assert chip.touched_mask == 1 << 0
    chip.writeto(0x5A, bytes([ECR, 0x8C]))
    assert chip.touched_mask == (1 << 0) | (1 << 6)


def test_irq_asserts_on_a_change_and_clears_when_the_status_is_read(chip, driver):
    edges: queue.SimpleQueue[bool] = queue.SimpleQueue()
    chip.on_irq = edges.put
    chip.touch(1)
    assert edges.get(timeout=2) is True
    assert chip.irq
    driver.filtered_data(1)  # other registers leave IRQ low
    assert chip.irq
    driver.touched()
    assert edges.get(timeout=2) is False
    chip.touch(1)  # no change in status: no edge
    chip.set_signals({1: 0, 4: FIRM_TOUCH})  # two bits change in one pass: one edge
    assert chip.wait_irq_delivered()
    assert edges.get_nowait() is True
    assert edges.empty()
    assert driver.touched() == 1 << 4


def test_unplugged_every_transaction_fails_then_replug_needs_a_new_setup(chip, driver):
    chip.touch(0)
    chip.unplug()
    for call in (
        lambda: chip.writeto(0x5A, b""),
        lambda: chip.readfrom_into(0x5A, bytearray(1)),
        driver.touched,
    ):
        with pytest.raises(OSError) as caught:
            call()
        assert caught.value.errno == 5
    assert chip.scan() == []
    chip.replug()
    assert chip.scan() == [0x5A]
    assert chip.register(ECR) == 0  # a fresh chip: the old driver's set-up is gone
    assert driver.touched() == 0
    again = adafruit_mpr121.MPR121(chip)
    assert again.touched() == 1 << 0


def test_unplugged_at_start_the_driver_finds_no_device(chip):
    chip.unplug()
    with pytest.raises(ValueError, match="No I2C device"):
        adafruit_mpr121.MPR121(chip)


def test_bad_electrodes_and_signals_are_refused(chip):
    with pytest.raises(ValueError, match=r"electrode must be in range 0\.\.11, got 12"):
        chip.touch(12)
    with pytest.raises(ValueError, match="signal must be in range"):
        chip.set_signal(0, -1)
