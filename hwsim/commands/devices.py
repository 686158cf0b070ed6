"""`hwsim devices [--json]`: the device files (shipped, and yours under --spec-dir / HWSIM_SPEC_PATH) with their
headline peaks, bandwidths, power and price. `hwsim devices --template NAME > my.yaml` starts your own device
from one of them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from hwsim.commands.common import print_json, print_table
from hwsim.errors import SpecError
from hwsim.commands.device_template import device_template
from hwsim.cost.device import Device, Support, load_device
from hwsim.paths import DEVICES_DIR, search_dirs, shipped_names, user_path
from hwsim.units import GIGA, TERA


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("devices", help="list devices (shipped and yours) with headline figures",
                                   description=__doc__)
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.add_argument("--template", metavar="NAME",
                        help="print device NAME as a starting point for your own file (valid YAML; a header says "
                             "which figures to change), e.g. hwsim devices --template tpu_v5e > my_chip.yaml")
    parser.add_argument("--name", metavar="NEW", help="with --template: the copy's name (default my_NAME); save it "
                                                      "as NEW.yaml so the name and the file stem agree")
    parser.set_defaults(func=run)


def listed_devices() -> list[tuple[str, Path, str]]:
    """(name, file, origin) of every device a name selects: the user's spec folders first (origin 'user'), then the
    shipped ones; a user file that shadows a shipped name is listed once, as the one a name selects."""
    found: dict[str, tuple[Path, str]] = {}
    for directory in search_dirs(DEVICES_DIR):
        origin = "shipped" if directory == DEVICES_DIR else "user"
        for name in shipped_names(directory):
            found.setdefault(name, (directory / f"{name}.yaml", origin))
    users = sorted(name for name, (_, origin) in found.items() if origin == "user")
    shipped = sorted(name for name, (_, origin) in found.items() if origin == "shipped")
    return [(name, *found[name]) for name in users + shipped]


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
    if args.name is not None and args.template is None:
        raise SpecError(None, "--name", "expected --name only with --template NAME", args.name)
    if args.template is not None:
        if args.json:
            raise SpecError(None, "--template", "expected --template without --json (it prints YAML)")
        sys.stdout.write(device_template(args.template, args.name))
        return 0
    rows = [{**summarize(load_device(path)), "origin": origin, "file": user_path(path)}
            for _, path, origin in listed_devices()]
    if args.json:
        print_json(rows)
        return 0
    table = pd.DataFrame([{
        "device": r["device"] + (" (user)" if r["origin"] == "user" else ""),
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
