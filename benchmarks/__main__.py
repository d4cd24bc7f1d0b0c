"""``python -m benchmarks [name ...]``: run the benchmarks, print one line each.

With no names, runs all of them. stdout carries only the result lines;
progress goes to stderr. Exits 1 if any input misses its p99 budget
(0.5 ms for a switch, 1 ms for a pad or a beam) or the idle box uses more
than its CPU limit.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import TextIO

from benchmarks import bare_bridge, beam_to_synth, idle_cpu, pad_to_synth, switch_to_synth
from benchmarks.machine import LoadWatch
from benchmarks.presser import PRESSES, WARMUP, progress, wrapper_overhead_ns

ORDER = (
    switch_to_synth.NAME,
    bare_bridge.NAME,
    pad_to_synth.NAME,
    beam_to_synth.NAME,
    idle_cpu.NAME,
)
#: Each input's p99 budget from the brief: 0.5 ms for a switch, 1 ms for any other.
BUDGETS_MS = {
    switch_to_synth.NAME: switch_to_synth.P99_BUDGET_MS,
    pad_to_synth.NAME: pad_to_synth.P99_BUDGET_MS,
    beam_to_synth.NAME: beam_to_synth.P99_BUDGET_MS,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="name", help="any of: " + ", ".join(ORDER))
    parser.add_argument(
        "--presses", type=int, default=PRESSES, help="measured presses per latency bench"
    )
    parser.add_argument(
        "--warmup", type=int, default=WARMUP, help="presses played and discarded first"
    )
    args = parser.parse_args(argv)
    # Checked here rather than with choices=, which rejects an empty nargs="*".
    unknown = [n for n in args.names if n not in ORDER]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(ORDER)}")
    names = args.names or list(ORDER)

    # stdout carries the result lines only. Libraries the box imports may
    # print there (Adafruit Blinka warns "GENERIC_X86 is not fully supported"
    # on import), so everything else printed while a benchmark runs goes to
    # stderr, and results are written to the real stdout.
    results = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):
        return _run(names, args.presses, args.warmup, results)


def _run(names: list[str], presses: int, warmup: int, results: TextIO) -> int:
    def emit(line: str) -> None:
        print(line, file=results, flush=True)

    failed = False
    if switch_to_synth.NAME in names or bare_bridge.NAME in names:
        in_window, total = wrapper_overhead_ns()
        progress(
            f"timing wrapper: +{in_window:.0f} ns inside t0..t1, {total:.0f} ns per note-on in all"
        )
    for name in names:
        watch = LoadWatch().start()
        if name in BUDGETS_MS:
            if name == switch_to_synth.NAME:
                summary = switch_to_synth.run(presses, warmup)
            elif name == pad_to_synth.NAME:
                summary = pad_to_synth.run(presses, warmup)
            else:
                summary = beam_to_synth.run()
            emit(summary.line())
            if summary.p99_ms > BUDGETS_MS[name]:
                progress(f"FAIL: {name} p99 {summary.p99_ms:.3f} ms > {BUDGETS_MS[name]} ms")
                failed = True
        elif name == bare_bridge.NAME:
            emit(bare_bridge.run(presses, warmup).line())
        elif name == idle_cpu.NAME:
            result = idle_cpu.run()
            for line in result.lines():
                emit(line)
            if not result.ok:
                progress(
                    f"FAIL: idle box {result.box_percent:.3f} % CPU (limit "
                    f"{idle_cpu.LIMIT_PERCENT} %), {result.ms_per_ping:.3f} ms per beam ping "
                    f"(limit {idle_cpu.PING_LIMIT_MS} ms)"
                )
                failed = True
        progress(f"  {name}: {watch.report()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
