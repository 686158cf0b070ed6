"""A speed probe: a fixed ~1-2 ms mix of the work the reference decoders do, timed on hwsim.clock.

On a shared machine the same code runs at different speeds from one minute to the next, even on the thread's
CPU clock (co-tenants on sibling hardware threads, caches and memory bandwidth, frequency). `hwsim calibrate`
records the probe's median time (`calibration.machine.speed_probe_s`); `hwsim validate` times the probe next to
every measured decode, so each point carries the machine's speed then relative to calibration (`speed_factor`
> 1: slower), and reports errors both as measured and with each decode scaled by its probe ratio. The probe is
one fixed program, never fitted to anything. `hwsim calibrate` also times it around each of its tiny-model
runtime decodes and scales each to the speed the micro-benchmark suite ran at (`AtReferenceSpeed`), so a slow
spell of a few seconds does not land in one figure.

Mix: 20 rounds of the per-call pattern of a beam-search step (an [8, 64] x [64, 256] matmul, a tanh and a
log-softmax over 256 labels, a top-4 argpartition, a dict of tuples updated from Python), then one [8, 640] x
[640, 2560] GEMM.
"""

from __future__ import annotations

import statistics

import numpy as np

from hwsim import clock

ROUNDS = 20


class SpeedProbe:
    def __init__(self, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.x = rng.standard_normal((8, 64)).astype(np.float32)
        self.w = rng.standard_normal((64, 256)).astype(np.float32)
        self.a = rng.standard_normal((8, 640)).astype(np.float32)
        self.b = rng.standard_normal((640, 2560)).astype(np.float32)
        self.run_once()

    def run_once(self) -> float:
        table: dict[tuple[int, ...], float] = {}
        total = 0.0
        for index in range(ROUNDS):
            logits = np.tanh(self.x @ self.w)
            shifted = logits - logits.max(axis=1, keepdims=True)
            logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            top = np.argpartition(-logp, 3, axis=1)[:, :4]
            for row in range(2):
                key = (index, int(top[row, 0]))
                table[key] = table.get(key, 0.0) + float(logp[row, top[row, 0]])
            total += len(table)
        return total + float((self.a @ self.b)[0, 0])

    def seconds(self, runs: int = 3) -> float:
        """Median time of `runs` probe runs on the clock in use, after one untimed run: the probe is to time the
        machine's speed, not how cold the work before it left the caches (measured right after an ibm_rnnt_swb
        decode, whose weights stream through the caches: 1.17-1.33x its isolated time without that run, 1.06x
        with it)."""
        self.run_once()
        samples = []
        for _ in range(runs):
            start = clock.now()
            self.run_once()
            samples.append(clock.now() - start)
        return statistics.median(samples)


class AtReferenceSpeed:
    """Runs work between two probe timings and says how to scale its times to `reference_s`'s machine speed:
    a time measured in the work x factor = the time at the reference speed (factor < 1 when the machine was
    slower then). Without a probe every factor is 1."""

    def __init__(self, probe: SpeedProbe | None, reference_s: float | None):
        self.probe, self.reference_s = probe, reference_s
        self.probes: list[float] = []

    def run(self, work):
        """(work()'s result, the factor for times measured inside it)."""
        if self.probe is None or not self.reference_s:
            return work(), 1.0
        before = self.probe.seconds(1)
        result = work()
        after = self.probe.seconds(1)
        self.probes += [before, after]
        return result, self.reference_s / (0.5 * (before + after))
