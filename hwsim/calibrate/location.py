"""Where a calibration is written and found: a user data folder, never a shipped device file.

`hwsim calibrate` writes $XDG_DATA_HOME/hwsim/devices/local_cpu.yaml (~/.local/share/... when unset) unless
`--out` names another path; a path inside the package's shipped devices folder is refused. `hwsim validate`
uses that file, or the one `--device` names, and refuses at once (before minutes of decodes) a device whose
`calibration.machine` does not describe this machine: its CPU model and core counts (`IDENTITY_KEYS`) and runtime.
"""

from __future__ import annotations

import os
from pathlib import Path

from hwsim.errors import SpecError
from hwsim.io.paths import DEVICES_DIR

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

    Without a calibration this is the shipped example local_cpu, which `require_calibrated_here` then refuses
    unless it was measured on a machine like this one.
    """
    path = default_calibration_path(runtime)
    return (str(path), True) if path.is_file() else (CALIBRATED_NAME, False)


IDENTITY_KEYS = ("cpu_model", "physical_cores", "logical_cpus")  # what `hwsim calibrate` records of the machine


def this_machine() -> dict[str, object]:
    """This machine's identity, as `hwsim calibrate` records it under calibration.machine."""
    from hwsim.calibrate.facts import cpu_model, physical_cores

    return {"cpu_model": cpu_model(), "physical_cores": physical_cores(), "logical_cpus": os.cpu_count() or 1}


def calibrate_command(runtime: str = "numpy") -> str:
    return "hwsim calibrate" if runtime == "numpy" else f"hwsim calibrate --runtime {runtime}"


def require_calibrated_here(machine: dict, runtime: str, device: str, flag: str = "--device") -> None:
    """Refuse, in one line that says how to calibrate, a device not measured on this machine with `runtime`.

    `machine` is the device file's calibration.machine ({} when it has none). Validation compares timings
    measured here with a model of the device, so another machine's figures would only produce minutes of
    meaningless errors."""
    how = f"run `{calibrate_command(runtime)}` first, then validate without --device"
    if not machine:
        raise SpecError(None, flag, f"a device calibrated on this machine ({how}), got {device!r}, which has no "
                                    "calibration.machine")
    here = this_machine()
    differ = [key for key in IDENTITY_KEYS if key in machine and str(machine[key]) != str(here[key])]
    if differ or not any(key in machine for key in IDENTITY_KEYS):
        shown = ", ".join(f"{key} {machine.get(key)!r} (here {here[key]!r})" for key in differ or IDENTITY_KEYS)
        raise SpecError(None, flag, f"a device calibrated on this machine ({how}), got {device!r}, calibrated on "
                                    f"another: {shown}")
    recorded = machine.get("runtime", "numpy")
    if recorded != runtime:
        raise SpecError(None, flag, f"a device calibrated with --runtime {runtime} ({how}), got {device!r}, "
                                    f"calibrated with {recorded}")
