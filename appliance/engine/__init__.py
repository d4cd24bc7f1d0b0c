"""The engine: turns input events into notes, on one owner thread."""

from appliance.engine.engine import Engine, UnknownInputError
from appliance.engine.loop import EngineLoop
from appliance.engine.status import EngineStatus, InputStatus

__all__ = ["Engine", "EngineLoop", "EngineStatus", "InputStatus", "UnknownInputError"]
