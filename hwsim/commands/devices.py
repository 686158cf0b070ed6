"""`hwsim devices [--json]`: the shipped device files with their headline peaks, bandwidths, power and price."""

from __future__ import annotations

import argparse

import pandas as pd

from hwsim.commands.common import print_json, print_table
from hwsim.cost.device import Device, Support, load_device
from hwsim.paths import DEVICES_DIR, shipped_names
from hwsim.units import GIGA, TERA


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("devices", help="list shipped devices with headline figures", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.set_defaults(func=run)


def summarize(device: Device) -> dict[str, object]:
    peaks = {pair: engine.peak_ops_per_s(pair) / TERA for engine in device.matrix_engines
             for pair, entry in engine.precisions.items() if entry.support is Support.NATIVE}
    memory = {level.name: level.bandwidth_bytes_per_s / GIGA for level in device.memory if level.bandwidth_bytes_per_s}
    return {"device": device.name, "file": device.file, "peak_tera_ops_per_s": peaks, "memory_gb_per_s": memory,
            "has_host_cpu": device.host_cpu is not None, "default_host": device.default_host,
            "search_on": "accelerator" if device.modelling.search_on_accelerator else "host",
            "elementwise_fusion": "per_layer" if device.modelling.fuse_elementwise else "none",
            "dispatch_latency_s": device.modelling.dispatch_latency_s,
            "kernel_launch_s": device.gpu.kernel_launch_s if device.gpu else None, "power_w": device.power_w,
            "price_per_hour_usd": device.price_per_hour_usd}


def run(args: argparse.Namespace) -> int:
    rows = [summarize(load_device(name)) for name in shipped_names(DEVICES_DIR)]
    if args.json:
        print_json(rows)
        return 0
    table = pd.DataFrame([{
        "device": r["device"],
        "native peaks [T ops/s]": ", ".join(f"{p} {v:.4g}" for p, v in r["peak_tera_ops_per_s"].items()),
        "memory [GB/s]": ", ".join(f"{k} {v:.4g}" for k, v in r["memory_gb_per_s"].items()),
        "host CPU": r["default_host"] or ("own" if r["has_host_cpu"] else "none (--host)"),
        "search on": r["search_on"],
        "fusion": r["elementwise_fusion"],
        "launch [us]": (f"{r['kernel_launch_s'] * 1e6:g}/kernel" if r["kernel_launch_s"] is not None
                        else f"{r['dispatch_latency_s'] * 1e6:g}"),
        "power [W]": r["power_w"] if r["power_w"] is not None else "-",
        "$/h": r["price_per_hour_usd"] if r["price_per_hour_usd"] is not None else "-",
    } for r in rows])
    print_table(table)
    return 0
