"""What a check finds, and running every check at once with a deadline."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True, slots=True)
class Finding:
    """What one check found, and what to do about it (empty when nothing)."""

    check: str
    level: Level
    message: str
    advice: str = ""

    def line(self) -> str:
        text = f"{self.message} -> {self.advice}" if self.advice else self.message
        return f"{self.level:<4} {self.check:<9} {text}"


Check = Callable[[], Finding | Sequence[Finding]]


#: Seconds one check may take before it is reported as hung.
CHECK_TIMEOUT_S = 5.0


def run_checks(
    checks: Sequence[tuple[str, Check]], timeout: float = CHECK_TIMEOUT_S
) -> list[Finding]:
    """Run every check at once; the findings come back in the order given."""
    results: list[list[Finding]] = [[] for _ in checks]
    threads = []
    for i, (name, check) in enumerate(checks):
        thread = threading.Thread(
            target=_guarded, args=(name, check, results[i]), name=f"doctor-{name}", daemon=True
        )
        thread.start()
        threads.append(thread)
    findings: list[Finding] = []
    for (name, _), thread, result in zip(checks, threads, results, strict=True):
        # Daemon threads: one that never returns is left behind, not waited for.
        thread.join(timeout)
        if thread.is_alive():
            findings.append(
                Finding(name, Level.FAIL, f"did not finish within {timeout:g} s", "run it again")
            )
        else:
            findings.extend(result)
    return findings


def _guarded(name: str, check: Check, out: list[Finding]) -> None:
    try:
        found = check()
        out.extend([found] if isinstance(found, Finding) else found)
    except Exception as e:
        out.append(Finding(name, Level.FAIL, f"the check itself failed: {type(e).__name__}: {e}"))


def exit_code(findings: Iterable[Finding]) -> int:
    return 1 if any(f.level is Level.FAIL for f in findings) else 0
