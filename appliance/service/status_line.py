"""The one line a person reads in ``systemctl status tonic``.

``playing "First steps", 4 switches, 12 pads, 1 beam`` — or, with a sensor
missing, ``playing "First steps", 4 switches, pads offline: no I2C, 1 beam``.
"""

from __future__ import annotations

from collections import defaultdict

from appliance.engine import EngineStatus
from appliance.events import parse_input_id


def status_line(status: EngineStatus, extra: str = "") -> str:
    groups: dict[str, list[bool]] = defaultdict(list)
    reasons: dict[str, str] = {}
    for i in status.inputs:
        try:
            kind = parse_input_id(i.id)[0].value
        except ValueError:
            kind = i.id.partition(":")[0]
        groups[kind].append(i.online)
        if not i.online:
            reasons.setdefault(kind, i.reason)
    parts = [f'playing "{status.profile}"']
    for kind, online in groups.items():
        label = kind if len(online) == 1 else f"{kind}es" if kind.endswith("h") else f"{kind}s"
        if all(online):
            parts.append(f"{len(online)} {label}")
        elif not any(online):
            parts.append(f"{label} offline: {reasons[kind]}")
        else:
            parts.append(f"{online.count(True)} of {len(online)} {label} ({reasons[kind]})")
    if status.synth != "live":
        parts.append(status.synth_reason or status.synth)
    if extra:
        parts.append(extra)
    return ", ".join(parts)
