"""Broken GPU device files and precisions a GPU cannot run: one line naming file, key and expectation, exit 2."""

import yaml

from hwsim.cli import main
from hwsim.io.paths import DEVICES_DIR


def gpu_file(tmp_path, edit) -> str:
    data = yaml.safe_load((DEVICES_DIR / "h100_sxm.yaml").read_text())
    edit(data)
    path = tmp_path / "gpu.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def gemm(capsys, device: str, precision: str = "bf16") -> tuple[int, str]:
    code = main(["gemm", "--device", device, "--m", "8", "--k", "64", "--n", "64", "--precision", precision])
    return code, capsys.readouterr().err


def one_line(code: int, err: str) -> str:
    assert code == 2 and "Traceback" not in err and err.count("\n") == 1, err
    return err.rstrip("\n")


def test_gpu_file_without_launch_latency(tmp_path, capsys):
    path = gpu_file(tmp_path, lambda d: d["gpu"].pop("kernel_launch_s"))
    err = one_line(*gemm(capsys, path))
    assert err.startswith(f"hwsim: error: {path}: gpu.kernel_launch_s: expected a kernel launch latency")
    assert err.endswith("for a device with tensor_core engines, got nothing")


def test_gpu_file_without_gpu_section(tmp_path, capsys):
    err = one_line(*gemm(capsys, gpu_file(tmp_path, lambda d: d.pop("gpu"))))
    assert ": gpu.kernel_launch_s: expected a kernel launch latency" in err


def test_tensor_core_engine_without_tiling(tmp_path, capsys):
    err = one_line(*gemm(capsys, gpu_file(tmp_path, lambda d: d["matrix_engines"][0].pop("tiling"))))
    assert ": matrix_engines[0].tiling: expected a tiling section" in err and err.endswith("for kind tensor_core, got nothing")


def test_peak_fraction_above_one(tmp_path, capsys):
    def edit(d):
        d["matrix_engines"][0]["tiling"]["peak_fraction"]["value"] = 1.5
    err = one_line(*gemm(capsys, gpu_file(tmp_path, edit)))
    assert err.endswith(": matrix_engines[0].tiling.peak_fraction.value: expected a fraction in (0, 1], got 1.5")


def test_graphs_by_default_need_graph_figures(tmp_path, capsys):
    def edit(d):
        d["gpu"]["cuda_graphs"]["value"] = True
        d["gpu"].pop("graph_launch_s")
    err = one_line(*gemm(capsys, gpu_file(tmp_path, edit)))
    assert ": gpu.graph_launch_s: expected {value: ..., source: ...}" in err


def test_fp8_on_ampere_is_rejected_with_the_reason(capsys):
    err = one_line(*gemm(capsys, "a100_sxm_80gb", "fp8"))
    assert err.startswith("hwsim: error: devices/a100_sxm_80gb.yaml: "
                          "matrix_engines[0].precisions.fp8_e4m3xfp8_e4m3: expected a precision a100_sxm_80gb supports; "
                          "rejected because no FP8 tensor-core datapath on Ampere")


def test_a_pair_no_gpu_runs_or_emulates(capsys):
    err = one_line(*gemm(capsys, "h100_sxm", "w2a2"))
    assert err.startswith("hwsim: error: devices/h100_sxm.yaml: matrix_engines[0].precisions: expected a "
                          "weight x activation pair an engine runs natively, emulated or by promotion")
    assert err.endswith("got 'int2xint2'")


def test_cuda_graphs_on_a_tpu(capsys):
    code = main(["simulate", "lstm_rnnt_small", "fp32", "--device", "tpu_v5e", "--frames", "10", "--cuda-graphs"])
    err = one_line(code, capsys.readouterr().err)
    assert err == ("hwsim: error: devices/tpu_v5e.yaml: gpu: expected a GPU device file (one with a gpu "
                   "section) for --cuda-graphs, got 'tpu_v5e'")
