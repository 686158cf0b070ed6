"""Where a calibration is written and found: a user data folder, never a shipped device file.

`hwsim calibrate` writes $XDG_DATA_HOME/hwsim/devices/local_cpu.yaml (~/.local/share/... when unset) unless
`--out` names another path; a path inside the package's shipped devices folder is refused. `hwsim validate`
uses that file when it exists, else the shipped local_cpu.yaml (an example machine, not this one).
"""

from __future__ import annotations

import os
from pathlib import Path

from hwsim.errors import SpecError
from hwsim.paths import DEVICES_DIR

CALIBRATED_NAME = "local_cpu"


def user_devices_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "hwsim" / "devices"


def calibrated_name(runtime: str = "numpy") -> str:
    """local_cpu for numpy, local_cpu_onnxruntime for the onnxruntime runtime."""
    return CALIBRATED_NAME if runtime == "numpy" else f"{CALIBRATED_NAME}_{runtime}"


def default_calibration_path(runtime: str = "numpy") -> Path:
    return user_devices_dir() / f"{calibrated_name(runtime)}.yaml"


def check_not_shipped(path: str | Path, flag: str = "--out") -> Path:
    """The path to write, refused (one line) when it is a shipped device file or inside their folder."""
    target = Path(path).expanduser().resolve()
    if target.parent == DEVICES_DIR.resolve() or target.is_relative_to(DEVICES_DIR.resolve()):
        raise SpecError(None, flag, f"a path outside the shipped devices folder (default {default_calibration_path()}); "
                        "calibration never overwrites a shipped file", str(path))
    return target


def calibrated_device(runtime: str = "numpy") -> tuple[str, bool]:
    """(device name or path for validation, whether it was calibrated on this machine by `hwsim calibrate`).

    Falls back to the shipped example local_cpu (numpy); an onnxruntime calibration has no shipped example.
    """
    path = default_calibration_path(runtime)
    return (str(path), True) if path.is_file() else (CALIBRATED_NAME, False)
