"""``tonic doctor``: is this machine ready to be the box, and if not, what to do.

Each check is a small function that looks at one thing (the sound card, the
I2C bus, the data directory...) and returns a :class:`Finding`: OK, WARN
(part of the box will be missing or slow) or FAIL (something the box needs,
or that its config says is there, does not work), with one line of advice.

Every check takes the places it reads (``/proc``, ``/sys``, ``/dev``, paths,
commands) as arguments, so tests build a fake machine in a temporary
directory. :func:`run_checks` runs them all at once on threads of their own,
each with a deadline: a check that hangs (a wedged I2C bus, a stuck service)
becomes a FAIL line, never a hung command, and a check that raises becomes a
FAIL line naming the exception, never a traceback.
"""

from appliance.doctor.findings import (
    CHECK_TIMEOUT_S,
    Check,
    Finding,
    Level,
    exit_code,
    run_checks,
)
from appliance.doctor.sensors import (
    I2CReader,
    LinuxI2C,
    check_beams,
    check_gpio,
    check_i2c,
    check_pads,
)
from appliance.doctor.service import check_socket
from appliance.doctor.sound import check_audio, check_midi, check_soundfont, sound_cards
from appliance.doctor.system import (
    check_data_dir,
    check_free_space,
    check_governor,
    check_groups,
    check_power,
    check_session_groups,
    decode_throttled,
    group_table,
)

__all__ = [
    "CHECK_TIMEOUT_S",
    "Check",
    "Finding",
    "I2CReader",
    "Level",
    "LinuxI2C",
    "check_audio",
    "check_beams",
    "check_data_dir",
    "check_free_space",
    "check_governor",
    "check_gpio",
    "check_groups",
    "check_i2c",
    "check_midi",
    "check_pads",
    "check_power",
    "check_session_groups",
    "check_socket",
    "check_soundfont",
    "decode_throttled",
    "exit_code",
    "group_table",
    "run_checks",
    "sound_cards",
]
