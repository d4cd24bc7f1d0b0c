"""The setup UI is a client of the control socket: it imports nothing of the box's insides.

Two checks: every import statement under appliance/tui (read with ast, so a
module that is never run is checked too), and what importing the whole UI
actually loads (a fresh interpreter, so nothing the tests loaded counts).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import appliance.tui
from appliance.tui.screens import SCREENS

UI = Path(appliance.tui.__file__).parent
#: The only parts of the appliance the UI may import.
ALLOWED = (
    "appliance.tui",
    "appliance.control.client",
    "appliance.control.api",
    "appliance.errors",
    "appliance.music",
    "appliance.atomic",  # the box's atomic file write: the standard library only
)
#: What must never be loaded by the UI, even indirectly.
INSIDES = ("appliance.engine", "appliance.sound", "appliance.inputs", "appliance.box")
INSIDES_AND_SERVICE = (*INSIDES, "appliance.service")


def package_of(path: Path) -> str:
    """``appliance/tui/screens/dashboard.py`` → ``appliance.tui.screens``."""
    return ".".join(path.relative_to(UI.parent.parent).parent.parts)


def imports(path: Path, package: str) -> list[str]:
    """Every module ``path`` imports, relative imports (from ``package``) resolved."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                names.append(".".join([*base, node.module] if node.module else base))
            else:
                names.append(node.module or "")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.append(str(node.args[0].value))
    return names


def allowed(name: str) -> bool:
    if not (name == "appliance" or name.startswith("appliance.")):
        return True  # the standard library, textual, rich
    return any(name == a or name.startswith(a + ".") for a in ALLOWED)


def test_every_module_of_the_ui_imports_only_the_client_and_plain_parts():
    modules = sorted(UI.rglob("*.py"))
    assert len(modules) > 5  # the walk found the UI
    bad = [
        f"{p.relative_to(UI)}: {n}"
        for p in modules
        for n in imports(p, package_of(p))
        if not allowed(n)
    ]
    assert bad == []


def test_the_check_catches_an_import_of_the_engine(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text(
        "from appliance.engine import Engine\n"
        "from ..link import Link\n"
        "def later():\n    import appliance.sound.fluid\n"
    )
    found = imports(sneaky, "appliance.tui.screens")
    assert "appliance.sound.fluid" in found
    assert "appliance.engine" in found
    assert "appliance.tui.link" in found
    assert not allowed("appliance.engine")
    assert not allowed("appliance.service.methods")
    assert allowed("appliance.control.client")


def _written() -> list[str]:
    """The listed screens' modules that exist (one listed before it is written opens
    as a one-line BrokenScreen, tested in test_app.py)."""
    return [e.module for e in SCREENS if importlib.util.find_spec(e.module) is not None]


def test_every_listed_screen_lives_in_the_ui_and_loads():
    assert "appliance.tui.screens.dashboard" in _written()
    for entry in SCREENS:
        assert entry.module.startswith("appliance.tui.screens.")
        if entry.module in _written():
            screen_class = getattr(importlib.import_module(entry.module), entry.cls)
            assert entry.name == screen_class.NAME


def test_starting_the_ui_loads_nothing_of_the_box():
    modules = _written()
    code = (
        "import sys, appliance.tui.app, appliance.cli.setup\n"
        f"for m in {modules!r}: __import__(m)\n"
        f"print('\\n'.join(m for m in sys.modules if m.startswith({INSIDES_AND_SERVICE!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == []
