"""The setup UI with a bug on the ``x`` key, from a fixed box: run by test_app.py in tmux."""

from __future__ import annotations

import sys
from pathlib import Path

from textual.binding import Binding

sys.path.insert(0, str(Path(__file__).parent.parent))

from tui.test_snapshots import FixedLink

from appliance.cli.setup import _log_to
from appliance.tui.app import SetupApp


class Buggy(SetupApp):
    BINDINGS = [Binding("x", "broken", "Break")]  # noqa: RUF012

    def action_broken(self) -> None:
        raise ZeroDivisionError("a bug in a screen")


if __name__ == "__main__":
    _log_to(Path(sys.argv[1]))
    app = Buggy(FixedLink(), log_path=Path(sys.argv[1]))
    app.run()
    sys.exit(app.return_code)
