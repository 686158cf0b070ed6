"""The published speed-ups (hwsim/data/workloads/claims/speedups/*.yaml) that a sweep's plot should show."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from hwsim.paths import SPEEDUP_CLAIMS_DIR
from hwsim.specs.claims import SpeedupClaimSpec, SpeedupClaimsSpec
from hwsim.specs.load import load_spec


def shipped_speedup_claims(directory: Path = SPEEDUP_CLAIMS_DIR) -> list[SpeedupClaimSpec]:
    return [claim for path in sorted(Path(directory).glob("*.yaml"))
            for claim in load_spec(SpeedupClaimsSpec, path).claims]


def matching_claims(workload: str, precisions: Iterable[str], device: str, frames: int,
                    claims: Iterable[SpeedupClaimSpec] | None = None) -> list[SpeedupClaimSpec]:
    """Claims about this workload, both of whose precisions ran, on this device and length (when the claim says).

    The workload and device are compared by name (a file stem), so a copied file under another name does not
    match: the paper's value belongs to the paper's configuration.
    """
    ran = set(precisions)
    candidates = shipped_speedup_claims() if claims is None else claims
    return [c for c in candidates
            if Path(c.workload).stem == Path(workload).stem and {c.baseline, c.precision} <= ran
            and (c.device is None or c.device == Path(device).stem) and (c.frames is None or c.frames == frames)]
