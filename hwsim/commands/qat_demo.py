"""`hwsim qat-demo`: run the seeded numpy QAT comparison and write its table, CSV and loss-curve plot."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from hwsim.csvout import write_csv
from hwsim.outputs import atomic_output_dir, preflight_outputs
from hwsim.paths import REPORTS_DIR
from hwsim.quant.demo import DemoConfig, run_demo
from hwsim.commands.common import positive_int


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("qat-demo", help="small numpy LSTM QAT run comparing quantizers")
    parser.add_argument("--out", default=str(REPORTS_DIR / "qat_demo"), help="output folder")
    parser.add_argument("--float-steps", type=positive_int, default=DemoConfig.float_steps)
    parser.add_argument("--qat-steps", type=positive_int, default=DemoConfig.qat_steps)
    parser.set_defaults(func=run)


def results_rows(results: dict) -> list[dict]:
    rows = [{"recipe": "float", "loss_before_qat": "", "final_loss": results["float_loss"], "best_loss": ""}]
    for name, run in results["runs"].items():
        losses = [loss for _, loss in run["curve"]]
        rows.append({"recipe": name, "loss_before_qat": run["before_qat"], "final_loss": losses[-1],
                     "best_loss": min(losses)})
    return rows


def markdown_table(rows: list[dict]) -> str:
    fmt = lambda v: f"{v:.4f}" if isinstance(v, float) else str(v)
    lines = ["| recipe | held-out MSE before QAT | after QAT (final) | best during QAT |", "|---|---|---|---|"]
    lines += [f"| {r['recipe']} | {fmt(r['loss_before_qat'])} | {fmt(r['final_loss'])} | {fmt(r['best_loss'])} |"
              for r in rows]
    return "\n".join(lines) + "\n"


def plot_curves(results: dict, path: Path) -> None:
    from matplotlib.figure import Figure

    from hwsim.report.style import MARKERS, PALETTE, save_figure, styled

    @styled
    def draw() -> Figure:
        fig = Figure(figsize=(11, 4))
        ax_float, ax_qat = fig.subplots(1, 2)
        steps, losses = zip(*results["float_curve"])
        ax_float.semilogy(steps, losses, color="black")
        ax_float.set(title="float training", xlabel="step", ylabel="held-out MSE")
        for index, (name, run) in enumerate(results["runs"].items()):
            steps, losses = zip(*run["curve"])
            ax_qat.semilogy(steps, losses, label=name, color=PALETTE[index % len(PALETTE)],
                            marker=MARKERS[index % len(MARKERS)], markevery=max(1, len(steps) // 8))
        ax_qat.axhline(results["float_loss"], color="black", linestyle="--", label="float")
        ax_qat.set(title="QAT fine-tuning (fake-quant forward, STE backward)", xlabel="step")
        ax_qat.legend()
        return fig

    save_figure(draw(), path)


def run(args: argparse.Namespace) -> int:
    preflight_outputs(folders={"--out": args.out})
    config = DemoConfig(float_steps=args.float_steps, qat_steps=args.qat_steps)
    results = run_demo(config)
    rows = results_rows(results)
    with atomic_output_dir(args.out) as staging:
        write_csv(pd.DataFrame(rows), staging / "results.csv")
        (staging / "table.md").write_text(markdown_table(rows))
        plot_curves(results, staging / "loss_curves.png")
    print(markdown_table(rows), end="")
    return 0
