"""`hwsim qat-demo`: run the seeded numpy QAT comparison and write its table, CSV and loss-curve plot."""

from __future__ import annotations

import argparse
from pathlib import Path

from hwsim.commands.choices import QAT_DEMO_FLOAT_STEPS, QAT_DEMO_QAT_STEPS
from hwsim.commands.common import (
    add_output_arguments, argument_group, positive_int, print_csv, print_json, print_table, verb_parser,
)
from hwsim.io.paths import REPORTS_DIR

EXAMPLES = ("hwsim qat-demo", "hwsim qat-demo --float-steps 200 --qat-steps 50 --out /tmp/qat_demo",
            "hwsim qat-demo --out /tmp/qat_demo --json")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(subparsers, "qat-demo", "small numpy LSTM QAT run comparing quantizers", __doc__, EXAMPLES)
    run_group = argument_group(parser, "run")
    run_group.add_argument("--float-steps", type=positive_int, default=QAT_DEMO_FLOAT_STEPS,
                           help=f"float pre-training steps (default {QAT_DEMO_FLOAT_STEPS})")
    run_group.add_argument("--qat-steps", type=positive_int, default=QAT_DEMO_QAT_STEPS,
                           help=f"QAT fine-tuning steps per recipe (default {QAT_DEMO_QAT_STEPS})")
    output = add_output_arguments(parser, json_help="print the results table as a JSON list",
                                  csv_help="print the results table as CSV")
    output.add_argument("--out", default=str(REPORTS_DIR / "qat_demo"),
                        help="output folder for results.csv, table.md and loss_curves.png (default reports/qat_demo)")
    parser.set_defaults(func=run)


def results_rows(results: dict) -> list[dict]:
    rows = [{"recipe": "float", "loss_before_qat": "", "final_loss": results["float_loss"], "best_loss": ""}]
    for name, run in results["runs"].items():
        losses = [loss for _, loss in run["curve"]]
        rows.append({"recipe": name, "loss_before_qat": run["before_qat"], "final_loss": losses[-1],
                     "best_loss": min(losses)})
    return rows


def console_rows(rows: list[dict]) -> list[dict]:
    """The rows with None where a figure does not apply (the float run has no before-QAT or best loss)."""
    return [{k: (None if v == "" else v) for k, v in row.items()} for row in rows]


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
    import pandas as pd

    from hwsim.io.csvout import write_csv
    from hwsim.io.outputs import atomic_output_dir, preflight_outputs
    from hwsim.progress import progress, status
    from hwsim.quant.demo import DemoConfig, run_demo, total_steps
    from hwsim.report.table import Column

    preflight_outputs(folders={"--out": args.out})
    config = DemoConfig(float_steps=args.float_steps, qat_steps=args.qat_steps)
    with progress(total=total_steps(config), desc="qat-demo", unit="step") as bar:
        results = run_demo(config, on_step=bar.update)
    rows = results_rows(results)
    with atomic_output_dir(args.out) as staging:
        write_csv(pd.DataFrame(rows), staging / "results.csv")
        (staging / "table.md").write_text(markdown_table(rows))
        plot_curves(results, staging / "loss_curves.png")
    if args.json:
        print_json(console_rows(rows))
    elif args.csv:
        print_csv(pd.DataFrame(rows))
    else:
        loss = ".4f"  # held-out MSE, the same format as table.md
        print_table(console_rows(rows), ["recipe", Column("loss_before_qat", "held-out MSE before QAT", fmt=loss),
                                         Column("final_loss", "after QAT (final)", fmt=loss),
                                         Column("best_loss", "best during QAT", fmt=loss)])
        status(f"written to {args.out}/")
    return 0
