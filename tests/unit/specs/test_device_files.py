"""Every shipped device file loads, and the peaks it implies equal the published headline figures.

Published figures are rounded to 3 significant digits, so they are compared with rel=5e-3. Citations are the
source IDs of docs/hardware.md.
"""

import pytest

from hwsim.cost.hardware import Support, load_device
from hwsim.io.paths import DEVICES_DIR, shipped_names
from hwsim.units import GIGA, TERA

ROUNDED = 5e-3
SHIPPED = ["ibm_7nm_ai_chip", "systolic_128", "tpu_v4", "tpu_v5e", "tpu_v5p", "tpu_vm_host", "xeon_host",
           "a100_sxm_80gb", "a100_pcie_80gb", "h100_sxm", "h200_sxm", "l4", "xeon_2s"]
MEASURED = ["local_cpu"]  # written by `hwsim calibrate` on the development machine; its figures are not published
CALIBRATED = ["ibm_7nm_ai_chip_fig1a"]  # written by `hwsim reproduce fig1a` (reports/fig1a)


def test_the_shipped_devices():
    assert shipped_names(DEVICES_DIR) == sorted(SHIPPED + MEASURED + CALIBRATED)


@pytest.mark.parametrize("name", ["tpu_v4", "tpu_v5e", "tpu_v5p"])
def test_every_tpu_names_the_tpu_vm_host(name):
    assert load_device(name).default_host == "tpu_vm_host"


def test_the_measured_device_loads():
    device = load_device("local_cpu")
    assert device.file == "devices/local_cpu.yaml" and device.modelling.overhead_s > 0


@pytest.mark.parametrize("name", SHIPPED)
def test_device_loads_with_positive_figures(name):
    device = load_device(name)
    assert device.name == name
    assert device.file == f"devices/{name}.yaml"
    for engine in device.matrix_engines:
        native = [p for p, s in engine.precisions.items() if s.support is Support.NATIVE]
        assert native, f"{name}: {engine.name} has no native precision"
        for pair in native:
            assert engine.peak_ops_per_s(pair) > 0
    assert device.memory_bandwidth_bytes_per_s() > 0


# (device, weight, activation, published peak in ops/s, citation)
HEADLINE_PEAKS = [
    ("tpu_v4", "bf16", "bf16", 275 * TERA, "[T1] 275 TFLOPS bf16"),
    ("tpu_v4", "int8", "int8", 275 * TERA, "[T1] '275 teraflops (bf16 or int8)': no int8 gain on v4"),
    ("tpu_v5e", "bf16", "bf16", 197 * TERA, "[T5] 197 TFLOPS bf16"),
    ("tpu_v5e", "int8", "int8", 393 * TERA, "[T5] 393 TOPS int8 (hardware.md; often quoted as 394)"),
    ("tpu_v5e", "int8", "int8", 394 * TERA, "394 TOPS int8 as quoted in issue 3"),
    ("tpu_v5e", "int4", "int4", 788 * TERA, "[T3] 788 TOPS int4"),
    ("tpu_v5p", "bf16", "bf16", 459 * TERA, "[T6] 459 TFLOPS bf16"),
    ("tpu_v5p", "int8", "int8", 918 * TERA, "[T3][T4] 918 TOPS int8"),
    ("tpu_v5p", "int4", "int4", 1840 * TERA, "[T3] 1840 TOPS int4"),
    ("ibm_7nm_ai_chip", "hfp8", "hfp8", 26.2 * TERA, "[S2] JSSC 26.2 TFLOPS HFP8"),
    ("ibm_7nm_ai_chip", "int4", "int4", 104.9 * TERA, "[S2] JSSC 104.9 TOPS INT4"),
    ("ibm_7nm_ai_chip", "fp16", "fp16", 13.1 * TERA, "hardware.md 1.1: derived 13.1 TFLOPS FP16"),
    ("xeon_host", "int8", "int8", 229 * TERA, "hardware.md 4: AMX INT8 229 TOPS (56 cores, 2.0 GHz)"),
    ("xeon_host", "bf16", "bf16", 115 * TERA, "hardware.md 4: AMX BF16 115 TFLOPS (56 cores, 2.0 GHz)"),
    ("xeon_host", "float32", "float32", 7.2 * TERA, "hardware.md 4: FP32 7.2 TFLOPS (56 cores, 2.0 GHz)"),
    ("systolic_128", "int8", "int8", 32.768 * TERA, "128 x 128 MACs x 2 ops x 1 GHz"),
]


@pytest.mark.parametrize("name, weight, act, published, citation", HEADLINE_PEAKS)
def test_peak_equals_published_headline(name, weight, act, published, citation):
    assert load_device(name).peak_ops_per_s(weight, act) == pytest.approx(published, rel=ROUNDED), citation


@pytest.mark.parametrize("fmt, published", [("hfp8", 25.6 * TERA), ("int4", 102.4 * TERA)])
def test_ibm_isscc_peaks_are_the_jssc_rates_counted_with_k_1000(fmt, published):
    """hardware.md 7.1: ISSCC [S1] 25.6 / 102.4 = 16 000 / 64 000 op/cycle x 1.6 GHz; JSSC counts K = 1024."""
    peak = load_device("ibm_7nm_ai_chip").peak_ops_per_s(fmt, fmt)
    assert peak * 1000 / 1024 == pytest.approx(published, rel=1e-9)


@pytest.mark.parametrize("name, published_gb_per_s, citation", [
    ("tpu_v4", 1200, "[T1]"), ("tpu_v5e", 819, "[T5]"), ("tpu_v5p", 2765, "[T6]"),
    ("xeon_host", 307.2, "hardware.md 4: 8 x DDR5-4800 x 8 B"),
])
def test_hbm_or_dram_bandwidth_equals_published(name, published_gb_per_s, citation):
    assert load_device(name).memory_bandwidth_bytes_per_s() == pytest.approx(published_gb_per_s * GIGA), citation


def test_v5e_int8_and_int4_are_2x_and_4x_bf16():
    device = load_device("tpu_v5e")
    bf16 = device.peak_ops_per_s("bf16", "bf16")
    assert device.peak_ops_per_s("int8", "int8") == 2 * bf16
    assert device.peak_ops_per_s("int4", "int4") == 4 * bf16


def test_ibm_per_mpe_rates_match_hardware_md_table_1_2():
    engine = load_device("ibm_7nm_ai_chip").matrix_engines[0]
    rates = {p: engine.macs_per_pe_per_cycle(p) for p in ("fp16xfp16", "hfp8xhfp8", "int4xint4", "int2xint2")}
    assert rates == {"fp16xfp16": 8, "hfp8xhfp8": 16, "int4xint4": 64, "int2xint2": 128}
    assert engine.arrays == 8  # 4 cores x 2 corelets


def test_ibm_system_has_host_cpu_and_link():
    device = load_device("ibm_7nm_ai_chip")
    assert device.host_cpu.peak_flops_per_s == pytest.approx(7.168 * TERA)
    assert device.host_link.transfer_time_s(32 * GIGA) == pytest.approx(1.0 + 1e-5)


def test_v4_power_is_the_published_measured_mean():
    assert load_device("tpu_v4").power_w == 170  # [T1] measured mean


def test_rejected_pair_has_zero_peak_and_no_device_peak():
    device = load_device("ibm_7nm_ai_chip")
    assert device.matrix_engines[0].peak_ops_per_s("float32xfloat32") == 0.0
    with pytest.raises(Exception, match="float32xfloat32"):
        device.peak_ops_per_s("float32", "float32")


def test_every_cited_source_id_is_listed_in_hardware_md():
    """A figure's [N4], [C3], ... must resolve to an entry of docs/hardware.md's Sources list."""
    import re

    from hwsim.io.paths import REPO_ROOT

    listed = set(re.findall(r"^- \[([A-Z]+\d+)\]", (REPO_ROOT / "docs" / "hardware.md").read_text(), re.M))
    for path in sorted(DEVICES_DIR.glob("*.yaml")):
        cited = set(re.findall(r"\[([A-Z]\d+)\]", path.read_text()))
        assert cited <= listed, f"{path.name} cites {sorted(cited - listed)} not in docs/hardware.md"
