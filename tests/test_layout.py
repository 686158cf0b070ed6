"""The shipped specs sit where the design puts them (issue 28): top-level devices/, workloads/ and schemas/ in a
checkout, read there by hwsim.io.paths (tests/test_wheel_install.py checks the wheel's copy under hwsim/_specs/)."""

from __future__ import annotations

from pathlib import Path

from hwsim.io import paths

REPO = Path(__file__).resolve().parents[1]


def test_a_checkout_reads_the_top_level_folders():
    assert paths.DEVICES_DIR.resolve() == REPO / "devices"
    assert paths.MODELS_DIR.resolve() == REPO / "workloads" / "models"
    assert paths.PRECISIONS_DIR.resolve() == REPO / "workloads" / "precisions"
    assert paths.SPEEDUP_CLAIMS_DIR.resolve() == REPO / "workloads" / "claims" / "speedups"
    assert paths.SCHEMAS_DIR.resolve() == REPO / "schemas"
    assert "tpu_v5e" in paths.shipped_names(paths.DEVICES_DIR) and "usm_rnnt_1b" in paths.shipped_names(paths.MODELS_DIR)


def test_the_package_holds_no_specs():
    """hwsim/data keeps only what the code reads and no user picks (the trained reference's weights)."""
    package_data = REPO / "hwsim" / "data"
    assert not list(package_data.rglob("*.yaml")) and not list(package_data.rglob("*.json"))
    assert (package_data / "reference" / "rnnt_trained_tiny.npz").is_file()


def test_shipped_files_are_shown_from_the_top_level():
    assert paths.display_path(paths.DEVICES_DIR / "tpu_v5e.yaml") == "devices/tpu_v5e.yaml"
    assert paths.display_path(paths.MODELS_DIR / "usm_rnnt_1b.yaml") == "workloads/models/usm_rnnt_1b.yaml"
    assert paths.display_path(REPO / "tests" / "conftest.py") == "tests/conftest.py"
    assert paths.displayed_file("devices/tpu_v5e.yaml") == paths.DEVICES_DIR / "tpu_v5e.yaml"


def test_a_shipped_file_is_one_of_the_shipped_folders():
    assert paths.is_shipped(paths.DEVICES_DIR / "tpu_v5e.yaml") and paths.is_shipped(paths.SCHEMAS_DIR / "device.json")
    assert paths.is_shipped(paths.PACKAGE_DATA_DIR / "reference" / "rnnt_trained_tiny.npz")
    assert not paths.is_shipped(REPO / "tests" / "conftest.py") and not paths.is_shipped(REPO / "README.md")
