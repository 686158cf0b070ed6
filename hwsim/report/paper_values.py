"""The published speed-ups (workloads/claims/speedups/*.yaml) that a sweep's plot should show."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from hwsim.io.paths import SPEEDUP_CLAIMS_DIR
from hwsim.specs.claims import SpeedupClaimSpec, SpeedupClaimsSpec
from hwsim.specs.load import load_spec

if TYPE_CHECKING:
    import pandas as pd


def shipped_speedup_files(directory: Path = SPEEDUP_CLAIMS_DIR) -> list[SpeedupClaimsSpec]:
    return [load_spec(SpeedupClaimsSpec, path) for path in sorted(Path(directory).glob("*.yaml"))]


def shipped_speedup_claims(directory: Path = SPEEDUP_CLAIMS_DIR) -> list[SpeedupClaimSpec]:
    return [claim for spec in shipped_speedup_files(directory) for claim in spec.claims]


def _devices(claim: SpeedupClaimSpec) -> tuple[str, ...] | None:
    return (claim.device,) if isinstance(claim.device, str) else claim.device


def claims_figure(claims: Iterable[SpeedupClaimSpec],
                  files: Iterable[SpeedupClaimsSpec] | None = None) -> tuple[str, str, str] | None:
    """(figure stem, baseline, precision) when the drawn claims come from a claim file that names its committed
    figure (e.g. fig1a), so a sweep writes the figure's files under that report's names; else None."""
    drawn = list(claims)
    for spec in shipped_speedup_files() if files is None else files:
        if spec.figure and drawn and all(claim in spec.claims for claim in drawn):
            return spec.figure, drawn[0].baseline, drawn[0].precision
    return None


def paper_speedups(wide: "pd.DataFrame", baseline: str, precision: str) -> "pd.DataFrame":
    """Per beam, the speed-ups a paper's bars show: encoder, prediction network, the joint group (joint + CPU search
    + transfer, one bar in Fasoli et al. Fig. 1(a)) and end to end (the layout of reports/fig1a/speedups.csv)."""
    import pandas as pd

    base = wide[wide.precision == baseline].set_index("beam")
    quant = wide[wide.precision == precision].set_index("beam")
    joint_cols = ["joint_s", "search_s", "transfer_s"]
    return pd.DataFrame({
        "encoder": base.encoder_s / quant.encoder_s,
        "prediction": base.prediction_s / quant.prediction_s,
        "joint": base[joint_cols].sum(axis=1) / quant[joint_cols].sum(axis=1),
        "total": base.total_s / quant.total_s,
    }).reset_index()


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
            and (c.device is None or Path(device).stem in _devices(c)) and (c.frames is None or c.frames == frames)]
