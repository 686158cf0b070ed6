"""Hand-made one-line bugs in the core modules, and whether the tests catch each (issue 28, item 4).

Every mutant is (id, file, the exact original text, its replacement, a note on what it breaks). The runner copies
the working tree (tracked and untracked, not ignored) into a temporary folder, so the checkout itself is never
changed; per mutant it patches the copy, runs the module's focused tests with `pytest -x`, and puts the original
text back in a `finally`. A mutant the focused tests miss is run again against the module's broad set (its
package's tests and the callers' tests) before it counts as a survivor. Bytecode is never written (a patch
of equal length within one second could otherwise be served from a stale .pyc).

    python tools/mutants.py                        # every mutant; writes docs/mutation.csv and .md
    python tools/mutants.py --only calls-1 --only decode-3   # rerun two; their rows are replaced
    python tools/mutants.py --module decode --list
    python tools/mutants.py --check                # every original text found exactly once?
    python tools/mutants.py --baseline             # every test selection passes unmutated?
    python tools/mutants.py --report               # docs/mutation.md again from docs/mutation.csv

Run it from the repository root with the project's interpreter (PYTHONPATH is set for the copy). Mutants run one
after another, each on its own small test selection: about 25 minutes on 2 shared cores for the whole list.
Exit 1 when a mutant's original text is not found exactly once (the source moved: update the list).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "mutation.md"
RESULTS = ROOT / "docs" / "mutation.csv"   # one row per mutant run; a partial run (--only) updates its rows
HISTORY = ("The first run of this list, with the first invariant tests of issue 28 but before the tests written for "
           "its survivors, killed 83 of the 113 (73 %); the 25 kills since are by those tests "
           "(tests/unit/*/test_*_invariants.py).")
TIMEOUT_S = 900   # a mutant that makes the tests hang (a livelock) counts as killed when this runs out

# ---- test selections per module: focused first, broad for what the focused set misses ----
T = "tests/unit/"
SUITES: dict[str, tuple[list[str], list[str]]] = {
    "gemm": ([T + "cost/test_gemm_cost.py", T + "cost/test_gemm_term_invariants.py", T + "cost/test_one_gemm_cost.py",
              T + "cost/test_tensorcore.py", T + "cost/test_ops.py"], [T + "cost", "tests/test_compute_as.py"]),
    "systolic": ([T + "cost/test_systolic.py", T + "cost/test_segment_and_fold_invariants.py"],
                 [T + "cost", "tests/test_compute_as.py"]),
    "tensorcore": ([T + "cost/test_tensorcore.py", T + "cost/test_segment_and_fold_invariants.py"],
                   [T + "cost", "tests/test_compute_as.py"]),
    "calls": ([T + "cost/test_calls.py", T + "cost/test_segment_and_fold_invariants.py",
               T + "cost/test_encoder_packed.py", T + "cost/test_cache_reuse.py"],
              [T + "cost", T + "sim/test_engine.py", T + "sim/test_trace.py", T + "serving/test_batched_costs_and_state.py"]),
    "ops": ([T + "cost/test_ops.py", T + "cost/test_gemm_term_invariants.py", T + "cost/test_gemm_cost.py",
             T + "cost/test_host.py"],
            [T + "cost", T + "sim/test_engine.py"]),
    "decode": ([T + "decode"], [T + "decode", T + "pipeline/test_point.py"]),
    "runner": ([T + "sim/test_joint.py", T + "sim/test_serving_engine.py", T + "sim/test_invariants.py"],
               [T + "sim", T + "serving"]),
    "serving": ([T + "sim/test_policies.py", T + "sim/test_policy_invariants.py", T + "sim/test_serving_engine.py",
                 T + "sim/test_invariants.py", T + "serving/test_summary_invariants.py"],
                [T + "sim", T + "serving/test_summary_invariants.py", T + "serving/test_memory_and_summary.py",
                 T + "serving/test_serving_invariants.py", T + "serving/test_batched_costs_and_state.py",
                 T + "serving/test_serve_cli.py"]),
    "precision": ([T + "precision", T + "size"], [T + "precision", T + "size", T + "cost/test_gemm_cost.py",
                                                  "tests/repro/test_size_claims.py"]),
    "quant": ([T + "quant/test_roundtrip_invariants.py", T + "quant/test_praxis.py",
               T + "quant/test_fms_and_registry.py", T + "quant/test_goldens.py"], [T + "quant"]),
    "size": ([T + "size"], [T + "size", T + "precision", "tests/repro/test_size_claims.py"]),
}


@dataclass(frozen=True)
class Mutant:
    id: str
    suite: str
    file: str
    original: str
    replacement: str
    note: str


def _m(id_: str, suite: str, file: str, original: str, replacement: str, note: str) -> Mutant:
    return Mutant(id_, suite, file, original, replacement, note)


C, D, S, Q = "hwsim/cost/", "hwsim/decode/", "hwsim/sim/", "hwsim/quant/"
MUTANTS: list[Mutant] = [
    # ---- cost/gemm.py ----
    _m("gemm-1", "gemm", C + "gemm.py", "return max(self.array_s, self.memory_s, self.vector_s) + self.overhead_s",
       "return max(self.array_s, self.memory_s) + self.overhead_s", "concurrent: conversion time dropped"),
    _m("gemm-2", "gemm", C + "gemm.py", "return max(self.array_s, self.memory_s) + self.vector_s + self.overhead_s",
       "return max(self.array_s, self.memory_s) + self.overhead_s", "serial: conversion time dropped"),
    _m("gemm-3", "gemm", C + "gemm.py", "return weights + self.activation_bytes / self.activation_bytes_per_s",
       "return weights", "activation traffic dropped"),
    _m("gemm-4", "gemm", C + "gemm.py", "(m * k + m * n) * act_fmt.bytes", "(m * k) * act_fmt.bytes",
       "output activations not written"),
    _m("gemm-5", "gemm", C + "gemm.py", "array.seconds * choice.passes * batch", "array.seconds * batch",
       "multi-pass compute counted once"),
    _m("gemm-6", "gemm", C + "gemm.py", '("activations" in operand) * m * k', '("activations" in operand) * m * n',
       "converted activations counted M x N"),
    _m("gemm-7", "gemm", C + "gemm.py", "return m * n * scale_blocks", "return m * scale_blocks",
       "output scaling per row, not per output"),
    _m("gemm-8", "gemm", C + "gemm.py", "return max(1, math.ceil(metadata_entries / n))",
       "return max(1, metadata_entries // n)", "scale blocks rounded down"),
    _m("gemm-9", "gemm", C + "gemm.py", "OUTPUT_SCALE_OPS = 2", "OUTPUT_SCALE_OPS = 1", "one op per scaled output"),
    # ---- cost/systolic.py ----
    _m("systolic-1", "systolic", C + "systolic.py", "folds = math.ceil(sr / rows) * math.ceil(sc / cols)",
       "folds = math.ceil(sr / rows) * math.ceil(sc / rows)", "columns tiled by the row count"),
    _m("systolic-2", "systolic", C + "systolic.py", "return math.ceil(folds / arrays), streamed",
       "return folds // arrays, streamed", "uneven folds rounded down"),
    _m("systolic-3", "systolic", C + "systolic.py", "split = arrays // folds", "split = arrays",
       "every array streams a share though tiles do not divide"),
    _m("systolic-4", "systolic", C + "systolic.py", "if folds >= arrays:", "if folds > arrays:",
       "folds == arrays takes the split branch"),
    _m("systolic-5", "systolic", C + "systolic.py", "skew = rows + cols - 2", "skew = rows + cols - 1",
       "fill/drain off by one"),
    _m("systolic-6", "systolic", C + "systolic.py",
       "fill = skew * (folds_per_array if fill_drain is FillDrain.PER_FOLD else 1)",
       "fill = skew * (folds if fill_drain is FillDrain.PER_FOLD else 1)", "fill paid for every fold of all arrays"),
    _m("systolic-7", "systolic", C + "systolic.py", "return rows + (folds - 1) * max(0, rows - hidden)",
       "return rows + folds * max(0, rows - hidden)", "overlapped load: first load counted twice"),
    _m("systolic-8", "systolic", C + "systolic.py",
       "hidden = streamed_per_fold + (skew if fill_drain is FillDrain.PER_FOLD else 0)",
       "hidden = streamed_per_fold", "per-fold skew does not hide the next load"),
    _m("systolic-9", "systolic", C + "systolic.py", "k_packed = math.ceil(k / macs_per_pe)", "k_packed = k",
       "sub-word parallelism ignored"),
    _m("systolic-10", "systolic", C + "systolic.py", "Dataflow.IS: (k, m, n, True),",
       "Dataflow.IS: (m, k, n, True),", "input-stationary rows/cols swapped"),
    # ---- cost/tensorcore.py ----
    _m("tensorcore-1", "tensorcore", C + "tensorcore.py", "split_k = max(1, slots // tiles) if tiles < slots else 1",
       "split_k = max(1, -(-slots // tiles)) if tiles < slots else 1", "split-K rounded up"),
    _m("tensorcore-2", "tensorcore", C + "tensorcore.py", "waves = math.ceil(tiles * split_k / slots)",
       "waves = math.ceil(tiles / slots)", "split blocks not counted in waves"),
    _m("tensorcore-3", "tensorcore", C + "tensorcore.py", "k_per_block = math.ceil(k / split_k)",
       "k_per_block = k // split_k", "K share rounded down"),
    _m("tensorcore-4", "tensorcore", C + "tensorcore.py",
       "tile_m = min(tiling.tile_m, math.ceil(m / tiling.min_tile_m) * tiling.min_tile_m)",
       "tile_m = tiling.tile_m", "no narrower tile for small M"),
    _m("tensorcore-5", "tensorcore", C + "tensorcore.py", "ideal = m * k * n / (sms * sm_macs)",
       "ideal = m * k * n / sm_macs", "ideal on one SM"),
    _m("tensorcore-6", "tensorcore", C + "tensorcore.py", "return self.tiles * self.split_k / (self.waves * self.slots)",
       "return self.tiles / (self.waves * self.slots)", "wave efficiency ignores split-K"),
    # ---- cost/calls.py ----
    _m("calls-1", "calls", C + "calls.py",
       "if last and last.resource == seg.resource and last.component == seg.component:",
       "if last and last.resource == seg.resource:", "merge across components (booked to the first)"),
    _m("calls-2", "calls", C + "calls.py", "if seg.duration_s <= 0:", "if seg.duration_s < 0:",
       "zero-length segments kept"),
    _m("calls-3", "calls", C + "calls.py", "last.ops + seg.ops if last.repeat == seg.repeat == 1 else ()",
       "last.ops + seg.ops", "repeated steps' ops concatenated"),
    _m("calls-4", "calls", C + "calls.py", '(f"{component}.launch", LAUNCH_RESOURCE)',
       '(f"{component}.launch", LATENCY_RESOURCE)', "launches on the matrix lane"),
    _m("calls-5", "calls", C + "calls.py", "seconds = rows * self.gather_per_row_s(component, rows)\n            info",
       "seconds = self.gather_per_row_s(component, rows)\n            info", "gather once per call, not per row"),
    _m("calls-6", "calls", C + "calls.py", "s.duration_s * steps, f\"{s.label} x{steps}\"",
       "s.duration_s, f\"{s.label} x{steps}\"", "exclusive recurrent steps counted once"),
    _m("calls-7", "calls", C + "calls.py", "steps[active - 1] - steps[active], exclusive, active)",
       "steps[active - 1], exclusive, active)", "packed: every member's steps from the start"),
    _m("calls-8", "calls", C + "calls.py",
       'launches += costs.launch_s("prediction") * prediction_calls + costs.launch_s("joint") * joint_calls',
       'launches += costs.launch_s("prediction") * prediction_calls', "joint launches not totalled"),
    _m("calls-9", "calls", C + "calls.py", "nbytes = beam * (labels + 1) * 4", "nbytes = beam * labels * 4",
       "final hypotheses without their score"),
    _m("calls-10", "calls", C + "calls.py", "return Segment(\"memory\", COMPONENT_OF[op.component.value], seconds",
       "return Segment(\"memory\", \"joint\", seconds", "staged weight load booked to the joint"),
    # ---- cost/ops.py ----
    _m("ops-1", "ops", C + "ops.py", "time_s = max(compute_s, memory_s) + conversion_s + overhead_s",
       "time_s = max(compute_s, memory_s) + overhead_s", "conversion time dropped"),
    _m("ops-2", "ops", C + "ops.py", "overhead_s = ctx.device.modelling.overhead_s * calls",
       "overhead_s = ctx.device.modelling.overhead_s", "per-pass overheads counted once"),
    _m("ops-3", "ops", C + "ops.py", "act_bytes = (m * gemm.k + m * gemm.n) * act.bytes + extra_bytes / gemm.batch",
       "act_bytes = (m * gemm.k + m * gemm.n) * act.bytes + extra_bytes", "extra weights read per batch member"),
    _m("ops-4", "ops", C + "ops.py",
       "ops = rows * (op.vector_ops_per_row + op.sfu_ops_per_row * knobs.transcendental_ops_per_element)",
       "ops = rows * (op.vector_ops_per_row + op.sfu_ops_per_row)", "transcendentals at one op each"),
    _m("ops-5", "ops", C + "ops.py",
       "return max(1, math.ceil((op.vector_ops_per_row + op.sfu_ops_per_row) / op.out_elements_per_row))",
       "return max(1, math.ceil(op.vector_ops_per_row / op.out_elements_per_row))", "SFU passes not counted"),
    _m("ops-6", "ops", C + "ops.py", "nbytes = rows * op.out_elements_per_row * per_element",
       "nbytes = op.out_elements_per_row * per_element", "lookup reads one row"),
    _m("ops-7", "ops", C + "ops.py", '"predictor": "prediction"', '"predictor": "joint"',
       "prediction network booked to the joint"),
    _m("ops-8", "ops", C + "ops.py", "act_bytes = 0.0 if is_fused else op.activation_elements(rows) * fmt.bytes",
       "act_bytes = op.activation_elements(rows) * fmt.bytes", "fused ops still round-trip memory"),
    # ---- decode/algorithms.py ----
    _m("decode-1", "decode", D + "algorithms.py", "if s.blank[0] >= s.label_logp[0, 0]:",
       "if s.blank[0] > s.label_logp[0, 0]:", "greedy: a label wins ties"),
    _m("decode-2", "decode", D + "algorithms.py", "while hyp.in_frame < max_symbols:",
       "while hyp.in_frame <= max_symbols:", "greedy: S + 1 labels per frame"),
    _m("decode-3", "decode", D + "algorithms.py", "if sum(h.score > threshold for h in kept) >= beam:",
       "if sum(h.score > threshold for h in kept) > beam:", "beam: one more pop per frame"),
    _m("decode-4", "decode", D + "algorithms.py", "carried = best(log_add_merge(kept), beam)",
       "carried = best(kept, beam)", "beam: equal histories not recombined"),
    _m("decode-5", "decode", D + "algorithms.py", "            if hyp.in_frame < max_symbols:\n",
       "            if hyp.in_frame <= max_symbols:\n", "beam: S + 1 labels per frame"),
    _m("decode-6", "decode", D + "algorithms.py", "for round_ in range(max_symbols + 1):",
       "for round_ in range(max_symbols):", "TSD: S rounds"),
    _m("decode-7", "decode", D + "algorithms.py", "carried = best(list(ended.values()), beam)",
       "carried = best(list(ended.values()), beam + 1)", "TSD: B + 1 carried"),
    _m("decode-8", "decode", D + "algorithms.py", "(h.in_frame < max_symbols for h in live)",
       "(h.in_frame <= max_symbols for h in live)", "ALSD: S + 1 labels per frame"),
    _m("decode-9", "decode", D + "algorithms.py", "if h.frame == ctx.frames - 1]", "if h.frame == ctx.frames]",
       "ALSD: no final hypotheses"),
    _m("decode-10", "decode", D + "algorithms.py", "live = log_add_merge(top_candidates(live, s, beam, blanks=True))\n    return best(live, beam)",
       "live = top_candidates(live, s, beam, blanks=True)\n    return best(live, beam)", "modified beam: no recombination"),
    _m("decode-11", "decode", D + "algorithms.py",
       "    k = min(beam, ctx.vocab - 1)\n    live = [Hyp((BLANK,), 0.0)]\n    for t in range(ctx.frames):",
       "    k = 1\n    live = [Hyp((BLANK,), 0.0)]\n    for t in range(ctx.frames):", "modified beam: one label candidate"),
    _m("decode-12", "decode", D + "algorithms.py", "for _ in range(ctx.frames * (max_symbols + 1)):",
       "for _ in range(ctx.frames * max_symbols):", "ALSD: too few steps"),
    # ---- decode/context.py ----
    _m("context-1", "decode", D + "context.py", "kept.score = high + math.log1p(math.exp(low - high))",
       "kept.score = high", "recombination keeps the max, not the log-sum"),
    _m("context-2", "decode", D + "context.py", "kept.computed = kept.computed or computed",
       "kept.computed = computed", "a merge forgets the kept path's prediction"),
    _m("context-3", "decode", D + "context.py", "return Hyp(self.yseq, self.score + logp, self.frame + 1, 0, self.computed)",
       "return Hyp(self.yseq, self.score + logp, self.frame + 1, self.in_frame, self.computed)",
       "blank keeps the frame's label count"),
    _m("context-4", "decode", D + "context.py", "self.frame, self.in_frame + 1, False)",
       "self.frame, self.in_frame, False)", "labels not counted per frame"),
    _m("context-5", "decode", D + "context.py", "return sorted(hyps, key=lambda h: -h.score)[:beam]",
       "return sorted(hyps, key=lambda h: h.score)[:beam]", "best keeps the worst"),
    _m("context-6", "decode", D + "context.py", "len(new), len(todo) - len(new), len(hyps), len(hyps)",
       "len(new), len(todo), len(hyps), len(hyps)", "cache hits include predicted rows"),
    _m("context-7", "decode", D + "context.py", "if len(predicted) > known:", "if len(predicted) >= known:",
       "every history predicted again"),
    _m("context-8", "decode", D + "context.py", 'order = np.argsort(-total, kind="stable")[:beam]',
       "order = np.argsort(-total)[:beam]", "ties ranked unstably"),
    _m("context-9", "decode", D + "context.py", "_absorb(other, h.score + logp, h.computed)",
       "_absorb(other, h.score, h.computed)", "merged blank without its probability"),
    # ---- sim/policies.py ----
    _m("policies-1", "serving", S + "policies.py", "(queued < self.limit and not arrivals_done)",
       "(queued < self.limit)", "static never flushes a last short batch"),
    _m("policies-2", "serving", S + "policies.py", "if queued >= self.limit or arrivals_done or",
       "if queued > self.limit or arrivals_done or", "dynamic waits with a full batch"),
    _m("policies-3", "serving", S + "policies.py", "return Admission(0, remaining_s)",
       "return Admission(0, self.max_wait_s)", "dynamic rechecks a full wait later"),
    _m("policies-4", "serving", S + "policies.py", "return Admission(int(max(0, min(queued, self.limit - live))))",
       "return Admission(int(max(0, min(queued, self.limit))))", "continuous ignores the live count"),
    _m("policies-5", "serving", S + "policies.py", "remaining_s = self.max_wait_s - oldest_wait_s",
       "remaining_s = self.max_wait_s", "dynamic never counts the wait"),
    # ---- sim/fleet.py ----
    _m("fleet-1", "serving", S + "fleet.py", "chip = min(self.chips, key=lambda c: (c.load, c.index))",
       "chip = min(self.chips, key=lambda c: c.index)", "every utterance to chip 0"),
    _m("fleet-2", "serving", S + "fleet.py", "self.occupancy_s += self.in_system * (now - self._counted_at)",
       "self.occupancy_s += now - self._counted_at", "occupancy ignores how many are in the system"),
    _m("fleet-3", "serving", S + "fleet.py", "makespan = max((r.done_s for log in logs for r in log.utterances)",
       "makespan = max((r.admitted_s for log in logs for r in log.utterances)", "makespan at the last admission"),
    _m("fleet-4", "serving", S + "fleet.py", "return math.inf if self.live_cap is None else self.live_cap",
       "return self.max_batch", "continuous live set bound by the step batch"),
    _m("fleet-5", "serving", S + "fleet.py", "                remaining -= 1\n", "                remaining -= 0\n",
       "the last arrival never announced"),
    _m("fleet-6", "serving", S + "fleet.py", "key=lambda e: e[:3])", "key=lambda e: e[0])",
       "arrivals sorted on time only"),
    # ---- sim/joint.py, sim/shapes.py, sim/chip.py's epochs (serve's runner) ----
    _m("runner-1", "runner", S + "joint.py", "push(heap, (t + job.segments[job.index][1], next(order), END, job))",
       "push(heap, (t, next(order), END, job))", "a handed-over segment takes no time"),
    _m("runner-2", "runner", S + "joint.py", "if (heap and end >= heap[0][0]) or end >= horizon:",
       "if end >= horizon:", "a segment taken at once though another event is due first"),
    _m("runner-3", "runner", S + "joint.py", "self._push(max(self.now, self.env.now), GO, job)",
       "self._push(self.env.now, GO, job)", "a worker woken inside the runner starts at SimPy's lagging clock"),
    _m("runner-4", "runner", S + "joint.py", "if job.finishing and t > env.now:", "if job.finishing and t < env.now:",
       "finishing without catching the clock up (admission and occupancy at the wrong time)"),
    _m("runner-5", "runner", S + "joint.py", "                    resource.free -= 1\n                    end = t + duration",
       "                    end = t + duration", "a resource taken without being marked busy"),
    _m("shapes-1", "runner", S + "shapes.py", "return (prediction_rows * SHAPE_KEY + joint_rows) * SHAPE_KEY + hyps\n\n\ndef shape_keys",
       "return (prediction_rows * SHAPE_KEY + joint_rows) * SHAPE_KEY\n\n\ndef shape_keys", "a shape key without its hypotheses"),
    _m("shapes-2", "runner", S + "shapes.py", "return key // SHAPE_KEY // SHAPE_KEY, key // SHAPE_KEY % SHAPE_KEY, key % SHAPE_KEY",
       "return key // SHAPE_KEY % SHAPE_KEY, key // SHAPE_KEY // SHAPE_KEY, key % SHAPE_KEY",
       "prediction and joint rows swapped when a shape is built"),
    _m("shapes-3", "runner", S + "shapes.py", "self.counts += np.bincount(ids, minlength=len(self.counts))",
       "self.counts += np.bincount(ids, minlength=len(self.counts)) > 0", "a shape counted once per epoch"),
    _m("epoch-1", "runner", S + "chip.py", 'available, steps = steps, int(np.searchsorted(ends, horizon, side="right"))',
       'available, steps = steps, int(np.searchsorted(ends, horizon, side="left"))',
       "a step ending exactly at the horizon left for later"),
    _m("epoch-2", "runner", S + "chip.py", "self.shapes.table[ids].ravel())))[width::width]",
       "self.shapes.table[ids].ravel())))[width - 1::width]", "step ends one segment early"),
    # ---- sim/records.py ----
    _m("records-1", "serving", S + "records.py", "return self.done_s - self.end_of_speech_s",
       "return self.done_s - self.ready_s", "latency from the first audio"),
    _m("records-2", "serving", S + "records.py", "return self.admitted_s - self.ready_s",
       "return self.admitted_s - self.arrival_s", "queue from the utterance's start"),
    _m("records-3", "serving", S + "records.py", "return self.done_s - self.admitted_s",
       "return self.done_s - self.ready_s", "service includes the queue"),
    # ---- serving/serve.py (the summary) ----
    _m("summary-1", "serving", "hwsim/serving/serve.py", "seconds / (request.chips * span)", "seconds / span",
       "utilisation summed over chips"),
    _m("summary-2", "serving", "hwsim/serving/serve.py", "span = run.makespan_s - float(utts.arrival_s.min())",
       "span = run.makespan_s", "makespan from t=0, not the first arrival"),
    _m("summary-3", "serving", "hwsim/serving/serve.py", '"queue_s": percentiles(utts.queue_s.to_numpy()),',
       '"queue_s": percentiles(utts.service_s.to_numpy()),', "queue percentiles of the service times"),
    _m("summary-4", "serving", "hwsim/serving/serve.py", '"mean_in_system": run.occupancy_s / span if span > 0',
       '"mean_in_system": run.occupancy_s / run.makespan_s if span > 0', "Little's L over the wrong span"),
    _m("summary-5", "serving", "hwsim/serving/serve.py", "chip_hours_per_audio_hour = request.chips / rtfx",
       "chip_hours_per_audio_hour = 1 / rtfx", "cost of one chip for many"),
    _m("summary-6", "serving", "hwsim/serving/serve.py", 'PERCENTILES = {"p50": 50, "p90": 90, "p99": 99}',
       'PERCENTILES = {"p50": 50, "p90": 90, "p99": 95}', "p99 is the 95th percentile"),
    _m("summary-7", "serving", "hwsim/serving/serve.py", '"encoder_mean": float(encoder.mean())',
       '"encoder_mean": float(decoder.mean())', "encoder batch mean of the decoder's"),
    # ---- precision/plan.py ----
    _m("plan-1", "precision", "hwsim/precision/plan.py", "return tensor.params // contract_size, None",
       "return tensor.params, None", "per-channel: a scale per weight"),
    _m("plan-2", "precision", "hwsim/precision/plan.py", "return tensor.params // (block * (contract_size // dim)), axis",
       "return tensor.params // block, axis", "blocks ignore the other contracting axes"),
    _m("plan-3", "precision", "hwsim/precision/plan.py", "key=lambda axis: (tensor.shape[axis], -axis))",
       "key=lambda axis: (tensor.shape[axis], axis))", "ties pick the last contracting axis"),
    _m("plan-4", "precision", "hwsim/precision/plan.py", 'return "absmax" if fmt.symmetric else "absmax_asym"',
       'return "absmax_asym" if fmt.symmetric else "absmax"', "default quantizers swapped"),
    _m("plan-5", "precision", "hwsim/precision/plan.py", "                fmt, rule_index = rule.weights, index\n",
       "                fmt, rule_index = rule.weights, index; break\n", "the first matching rule wins, not the last"),
    _m("plan-6", "precision", "hwsim/precision/plan.py", "if dim % block:", "if dim < block:",
       "a block that does not divide is accepted"),
    _m("plan-7", "precision", "hwsim/precision/plan.py",
       "return rule.match.roles is None or tensor.role.value in rule.match.roles", "return True",
       "match.roles ignored"),
    _m("plan-8", "precision", "hwsim/precision/plan.py", "return tensor.params // (block * contract_size), axis",
       "return tensor.params // block, axis", "output-axis blocks: a scale per contraction element"),
    # ---- quant ----
    _m("quant-1", "quant", Q + "praxis.py", "scale, _ = _nonzero_scale(np.max(np.abs(w), axis=axes, keepdims=True) / np.asarray(high, w.dtype))",
       "scale, _ = _nonzero_scale(np.max(np.abs(w), axis=axes, keepdims=True) / np.asarray(-low, w.dtype))",
       "absmax scale over 2^(b-1)"),
    _m("quant-2", "quant", Q + "praxis.py", "    q = np.clip(round_half_even(w / scale), low, high)\n    return",
       "    q = np.clip(np.floor(w / scale), low, high)\n    return", "absmax truncates"),
    _m("quant-3", "quant", Q + "praxis.py", "zp_levels = low - w_min / scale", "zp_levels = low - w_max / scale",
       "asym zero point from the max"),
    _m("quant-4", "quant", Q + "fms_weights.py", "dequant = (2 * (shifted / np.asarray(intervals, x.dtype)) - 1) * clip",
       "dequant = ((shifted / np.asarray(intervals, x.dtype)) - 1) * clip", "shifted grid dequantized at half scale"),
    _m("quant-5", "quant", Q + "fms_weights.py", "    level_max = 2 ** (bits - 1) - 1\n",
       "    level_max = 2 ** (bits - 1)\n", "per-channel codes one level wider"),
    _m("quant-6", "quant", Q + "fms_activations.py", "levels_per_unit = _f(2**bits - 1, x) / max(a, _f(0, x))",
       "levels_per_unit = _f(2**bits, x) / max(a, _f(0, x))", "PACT one level too many"),
    _m("quant-7", "quant", Q + "fms_activations.py", "levels_per_unit = _f(2**bits - 2, x) / (2 * a)",
       "levels_per_unit = _f(2**bits - 2, x) / a", "BAC over half its range"),
    _m("quant-8", "quant", Q + "subchannel.py", "shifted = tuple(a if i < split_position else a + 1 for i, a in enumerate(axes))",
       "shifted = tuple(a if i <= split_position else a + 1 for i, a in enumerate(axes))",
       "blocked axes: the split axis not shifted"),
    _m("quant-9", "quant", Q + "subchannel.py", "split_position = int(np.argmax([shape[a] for a in axes]))",
       "split_position = int(np.argmin([shape[a] for a in axes]))", "blocks split the smallest axis"),
    _m("quant-10", "quant", Q + "fms_activations.py", "levels_per_unit = _f(2 ** (bits - 1) - 1, x) / a",
       "levels_per_unit = _f(2 ** bits - 1, x) / a", "PACT-sym with unsigned levels"),
    _m("quant-11", "quant", Q + "fms_weights.py", "return c2 * mean_abs + c1 * rms", "return c1 * mean_abs + c2 * rms",
       "SAWB coefficients swapped"),
    _m("quant-12", "quant", Q + "fms_activations.py", "return levels_per_unit, round_half_even(levels_per_unit * low)",
       "return levels_per_unit, levels_per_unit * low", "PACT2 zero point not rounded"),
    # ---- size/ ----
    _m("size-1", "size", "hwsim/size/account.py", "vectors = 2 if precision.has_zero_point else 1", "vectors = 1",
       "zero points not stored"),
    _m("size-2", "size", "hwsim/size/account.py", "bits += vectors * SECOND_LEVEL_SCALE_BITS",
       "bits += SECOND_LEVEL_SCALE_BITS", "one second-level scale for scales and zero points"),
    _m("size-3", "size", "hwsim/size/account.py", "padded = math.ceil(row_bits / BITS_PER_BYTE) * BITS_PER_BYTE",
       "padded = row_bits", "rows not padded to bytes"),
    _m("size-4", "size", "hwsim/size/account.py",
       "return value_bits, tensor.params * (precision.container_bits - precision.value_bits)",
       "return value_bits, tensor.params * precision.container_bits", "container counted on top of the values"),
    _m("size-5", "size", "hwsim/size/account.py", "return max(tensor.contract_axes, key=lambda a: tensor.shape[a])",
       "return min(tensor.contract_axes, key=lambda a: tensor.shape[a])", "rows packed along the shortest axis"),
    _m("size-6", "size", "hwsim/size/account.py", '"value_bits": self.total_bits - self.metadata_bits - self.padding_bits,',
       '"value_bits": self.total_bits - self.metadata_bits,', "reported value bits include padding"),
    _m("size-7", "size", "hwsim/size/claims.py", "return 100.0 * report.quantized_params / report.total_params",
       "return 100.0 * report.quantized_params / report.total_params / 2", "quantized share halved"),
    _m("size-8", "size", "hwsim/size/claims.py", "return meta_bits * (2 if asymmetric else 1)",
       "return meta_bits", "implied block ignores zero points"),
]


# Survivors that cannot be killed: no input reachable through the module's callers tells them from the original.
EQUIVALENT: dict[str, str] = {
    "gemm-8": "scale entries are always a multiple of N or fewer than N (per tensor: 1; per channel: N; blocks along "
              "K: N x K/B; blocks along an output axis: < N), so floor and ceiling agree under max(1, .); checked on "
              "all 1023 quantized GEMM ops of the shipped workloads and precisions",
    "systolic-4": "folds == arrays takes the split branch with split = 1: (1, streamed), which is what "
                  "ceil(folds / arrays) = 1 gives",
    "tensorcore-2": "split_k = slots // tiles makes tiles x split_k <= slots whenever tiles < slots (else split_k = 1), "
                    "so both wave counts are 1 or ceil(tiles / slots)",
    "ops-1": "every caller of _finish passes conversion_s = 0.0 (vector ops, lookups, host GEMMs convert nothing; "
             "GEMMs on the accelerator build their OpCost from hwsim.cost.gemm instead)",
    "fleet-6": "the events are built in (position, chunk) order, so a stable sort on the arrival time alone gives the "
               "order of the sort on (arrival, position, chunk)",
}


# ---- running ----
def copy_tree(destination: Path) -> None:
    """The working tree's files (tracked and untracked, not ignored) under `destination`."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                            capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def run_tests(copy: Path, tests: list[str]) -> tuple[str, float]:
    """('killed'|'survived'|'timeout'|'error <rc>', seconds) of `pytest -x` on `tests` in the copy."""
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
                              cwd=copy, env=env, capture_output=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - started
    seconds = time.monotonic() - started
    if done.returncode == 0:
        return "survived", seconds
    if done.returncode in (1, 2):   # 2: interrupted, i.e. a collection error (the mutant broke an import)
        return "killed", seconds
    return f"error {done.returncode}", seconds   # pytest itself failed (3), bad usage (4), nothing collected (5)


def run_mutant(copy: Path, mutant: Mutant) -> dict[str, object]:
    path = copy / mutant.file
    original = path.read_text()
    if original.count(mutant.original) != 1:
        return {"mutant": mutant, "outcome": f"invalid ({original.count(mutant.original)} matches)", "by": "",
                "seconds": 0.0}
    focused, broad = SUITES[mutant.suite]
    try:
        path.write_text(original.replace(mutant.original, mutant.replacement))
        outcome, seconds = run_tests(copy, focused)
        by = "focused"
        if outcome == "survived":
            outcome, more = run_tests(copy, broad)
            seconds, by = seconds + more, "broad"
    finally:
        path.write_text(original)
    return {"mutant": mutant, "outcome": outcome, "by": by, "seconds": seconds}


def module_of(mutant: Mutant) -> str:
    return mutant.file.removeprefix("hwsim/")


def read_results(path: Path) -> dict[str, dict[str, object]]:
    if not path.exists():
        return {}
    with path.open(newline="") as handle:
        return {row["id"]: {**row, "seconds": float(row["seconds"])} for row in csv.DictReader(handle)}


def write_results(results: dict[str, dict[str, object]], path: Path) -> None:
    order = {m.id: index for index, m in enumerate(MUTANTS)}
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, ["id", "outcome", "by", "seconds"], lineterminator="\n")
        writer.writeheader()
        for key in sorted((k for k in results if k in order), key=order.get):
            r = results[key]
            writer.writerow({"id": key, "outcome": r["outcome"], "by": r["by"], "seconds": f"{r['seconds']:.0f}"})


def write_report(results: dict[str, dict[str, object]], path: Path) -> None:
    rows = [{**results[m.id], "mutant": m} for m in MUTANTS if m.id in results]
    killed = [r for r in rows if r["outcome"] in ("killed", "timeout")]
    equivalent = sum(r["outcome"] == "survived" and r["mutant"].id in EQUIVALENT for r in rows)
    modules: dict[str, list[int]] = {}
    for r in rows:
        counts = modules.setdefault(module_of(r["mutant"]), [0, 0])
        counts[0 if r in killed else 1] += 1
    lines = ["# Mutation testing (issue 28, item 4)", "",
             "Hand-made one-line bugs in the core modules, applied one at a time to a copy of the tree by "
             "`tools/mutants.py` (the list, the test selections and how to run it are in its docstring). "
             "*Focused*: killed by the module's own tests; *broad*: only by its package's and callers' tests.", "",
             f"**{len(killed)} of {len(rows)} killed ({100 * len(killed) / len(rows):.0f} %)**; "
             f"{equivalent} of the {len(rows) - len(killed)} not killed are equivalent (no input tells them from the "
             f"original), so {len(killed)} of the {len(rows) - equivalent} mutants that can be killed are "
             f"({100 * len(killed) / max(1, len(rows) - equivalent):.0f} %). {HISTORY}", "",
             "| module | killed | survived |", "|---|---|---|"]
    lines += [f"| {name} | {k} | {s} |" for name, (k, s) in sorted(modules.items())]
    survivors = [r["mutant"] for r in rows if r not in killed]
    lines += ["", "## Survivors", ""]
    lines += [f"- **{m.id}** ({module_of(m)}: {m.note}): "
              + (f"equivalent: {EQUIVALENT[m.id]}." if m.id in EQUIVALENT else "not explained yet.")
              for m in survivors] or ["None."]
    lines += ["", "## Every mutant", "", "| mutant | file | bug | outcome | by | s |", "|---|---|---|---|---|---|"]
    for r in rows:
        m = r["mutant"]
        lines.append(f"| {m.id} | {module_of(m)} | {m.note} | {r['outcome']} | {r['by']} | {r['seconds']:.0f} |")
    path.write_text("\n".join(lines) + "\n")


def baseline() -> int:
    """Every focused and broad selection on the unmutated copy: a selection that fails here kills every mutant."""
    failed = 0
    with tempfile.TemporaryDirectory(prefix="hwsim-mutants-") as folder:
        copy = Path(folder)
        copy_tree(copy)
        for name, selections in SUITES.items():
            for kind, tests in zip(("focused", "broad"), selections):
                outcome, seconds = run_tests(copy, tests)
                failed += outcome != "survived"
                print(f"{name:11} {kind:8} {'passes' if outcome == 'survived' else outcome:8} {seconds:6.1f}s", flush=True)
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="run this mutant id (repeatable)")
    parser.add_argument("--module", help="run the mutants of one suite (gemm, systolic, decode, serving, ...)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/mutation.csv and .md")
    parser.add_argument("--check", action="store_true", help="check every original text is found exactly once")
    parser.add_argument("--baseline", action="store_true", help="run every test selection unmutated (all must pass)")
    parser.add_argument("--report", action="store_true", help="rewrite docs/mutation.md from docs/mutation.csv")
    args = parser.parse_args()
    chosen = [m for m in MUTANTS if (not args.only or m.id in args.only) and (not args.module or m.suite == args.module)]
    if args.check:
        bad = [m.id for m in chosen if (ROOT / m.file).read_text().count(m.original) != 1]
        print("\n".join(bad) or f"{len(chosen)} mutants, each found once")
        return 1 if bad else 0
    if args.list:
        for m in chosen:
            print(f"{m.id:14} {m.file:32} {m.note}")
        return 0
    if args.baseline:
        return baseline()
    if args.report:
        write_report(read_results(RESULTS), REPORT)
        return 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="hwsim-mutants-") as folder:
        copy = Path(folder)
        copy_tree(copy)
        for mutant in chosen:
            row = run_mutant(copy, mutant)
            rows.append(row)
            print(f"{mutant.id:14} {row['outcome']:10} {row['by']:8} {row['seconds']:6.1f}s  {mutant.note}", flush=True)
    invalid = [r for r in rows if str(r["outcome"]).startswith("invalid")]
    if not args.no_write and not invalid:
        results = read_results(RESULTS)
        results.update({r["mutant"].id: {k: v for k, v in r.items() if k != "mutant"} for r in rows})
        write_results(results, RESULTS)
        write_report(results, REPORT)
    survived = sum(r["outcome"] == "survived" for r in rows)
    print(f"{len(rows) - survived} of {len(rows)} killed")
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
