"""`hwsim devices [--wide] [--json | --csv]`: the device files (shipped, and yours under --spec-dir /
HWSIM_SPEC_PATH) with their headline peaks, bandwidths, power and price. The default table fits 100 columns;
--wide shows every native pair and figure. `hwsim devices --template NAME > my.yaml` starts your own device
from one of them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwsim.commands.common import add_output_arguments, argument_group, print_csv, print_json, print_table, verb_parser
from hwsim.errors import SpecError

if TYPE_CHECKING:
    from hwsim.cost.hardware import Device

EXAMPLES = ("hwsim devices", "hwsim devices --wide", "hwsim devices --csv > devices.csv",
            "hwsim devices --template tpu_v5e > my_chip.yaml")
NARROW_PAIRS = {"f16": ("bf16xbf16", "fp16xfp16"), "int8": ("int8xint8",), "int4": ("int4xint4",)}
WIDE_HINT = "(--wide: every native pair, launch latency, search and fusion, power and price)"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(subparsers, "devices", "list devices (shipped and yours) with headline figures", __doc__, EXAMPLES)
    output = add_output_arguments(parser, json_help="print a JSON list",
                                  csv_help="print one row per device, one column per figure, as CSV")
    output.add_argument("--wide", action="store_true",
                        help="show every native pair and figure (wider than 100 columns)")
    start = argument_group(parser, "start your own device")
    start.add_argument("--template", metavar="NAME",
                       help="print device NAME as a starting point for your own file (valid YAML; a header says "
                            "which figures to change), e.g. hwsim devices --template tpu_v5e > my_chip.yaml")
    start.add_argument("--name", metavar="NEW", help="with --template: the copy's name (default my_NAME); save it "
                                                     "as NEW.yaml so the name and the file stem agree")
    parser.set_defaults(func=run)


def listed_devices() -> list[tuple[str, Path, str]]:
    """(name, file, origin) of every device a name selects: the user's spec folders first (origin 'user'), then the
    shipped ones; a user file that shadows a shipped name is listed once, as the one a name selects."""
    from hwsim.io.paths import DEVICES_DIR, search_dirs, shipped_names

    found: dict[str, tuple[Path, str]] = {}
    for directory in search_dirs(DEVICES_DIR):
        origin = "shipped" if directory == DEVICES_DIR else "user"
        for name in shipped_names(directory):
            found.setdefault(name, (directory / f"{name}.yaml", origin))
    users = sorted(name for name, (_, origin) in found.items() if origin == "user")
    shipped = sorted(name for name, (_, origin) in found.items() if origin == "shipped")
    return [(name, *found[name]) for name in users + shipped]


def summarize(device: "Device") -> dict[str, object]:
    from hwsim.cost.hardware import Support
    from hwsim.units import GIGA, TERA

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


def host_text(r: dict[str, Any]) -> str:
    return r["default_host"] or ("own" if r["has_host_cpu"] else "none")


def narrow_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Headline columns comparable across devices: the best native peak of each format family, the fastest memory."""
    table = []
    for r in rows:
        row: dict[str, Any] = {"device": r["device"]}
        for label, pairs in NARROW_PAIRS.items():
            peaks = [r["peak_tera_ops_per_s"][p] for p in pairs if p in r["peak_tera_ops_per_s"]]
            row[label] = max(peaks) if peaks else None
        row["memory"] = max(r["memory_gb_per_s"].values(), default=None)
        row["host"] = host_text(r)
        table.append(row)
    return table


def wide_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{
        "device": r["device"],
        "native peaks": ", ".join(f"{p} {v:.4g}" for p, v in r["peak_tera_ops_per_s"].items()),
        "memory": ", ".join(f"{k} {v:.4g}" for k, v in r["memory_gb_per_s"].items()),
        "host": host_text(r), "search on": r["search_on"], "fusion": r["elementwise_fusion"],
        "launch": (f"{r['kernel_launch_s'] * 1e6:g}/kernel" if r["kernel_launch_s"] is not None
                   else f"{r['dispatch_latency_s'] * 1e6:g}"),
        "power": r["power_w"], "price": r["price_per_hour_usd"],
    } for r in rows]


def csv_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flat rows: one column per native pair's peak and per memory level's bandwidth (union over devices)."""
    pairs = list(dict.fromkeys(p for r in rows for p in r["peak_tera_ops_per_s"]))
    levels = list(dict.fromkeys(m for r in rows for m in r["memory_gb_per_s"]))
    flat = []
    for r in rows:
        row = {k: v for k, v in r.items() if k not in ("peak_tera_ops_per_s", "memory_gb_per_s")}
        row.update({f"peak_{p}_tera_ops_per_s": r["peak_tera_ops_per_s"].get(p) for p in pairs})
        row.update({f"memory_{m}_gb_per_s": r["memory_gb_per_s"].get(m) for m in levels})
        flat.append(row)
    return flat


def print_devices(rows: list[dict[str, Any]], wide: bool) -> None:
    from hwsim.report.table import Column

    peak, rate = ",.1f", ",.1f"
    if wide:
        print_table(wide_rows(rows), ["device", Column("native peaks", unit="T ops/s"),
                                      Column("memory", unit="GB/s"), "host", "search on", "fusion",
                                      Column("launch", unit="us"), Column("power", unit="W", fmt=",.1f"),
                                      Column("price", unit="USD/h", fmt=",.2f")])
        return
    print_table(narrow_rows(rows), ["device", *(Column(label, unit="T ops/s", fmt=peak) for label in NARROW_PAIRS),
                                    Column("memory", unit="GB/s", fmt=rate), "host"])
    print("peaks: the best native pair per family (f16 = bf16 or fp16); memory: the fastest level")
    print(WIDE_HINT)


def run(args: argparse.Namespace) -> int:
    from hwsim.cost.hardware import load_device
    from hwsim.io.paths import user_path

    if args.name is not None and args.template is None:
        raise SpecError(None, "--name", "expected --name only with --template NAME", args.name)
    if args.template is not None:
        if args.json or args.csv:
            raise SpecError(None, "--template", "expected --template without --json or --csv (it prints YAML)")
        from hwsim.commands.device_template import device_template

        sys.stdout.write(device_template(args.template, args.name))
        return 0
    rows = [{**summarize(load_device(path)), "origin": origin, "file": user_path(path)}
            for _, path, origin in listed_devices()]
    if args.json:
        print_json(rows)
    elif args.csv:
        print_csv(csv_rows(rows))
    else:
        print_devices([{**r, "device": r["device"] + (" (user)" if r["origin"] == "user" else "")} for r in rows],
                      args.wide)
    return 0
