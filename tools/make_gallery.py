"""Regenerate the figures of docs/gallery.md that do not live in reports/ (run from the repository root):

    python tools/make_gallery.py

Each figure is made by exactly the command (or API call) the gallery page shows next to it, into docs/gallery/.
"""

from __future__ import annotations

import shlex
import shutil
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import hwsim.api as hw  # noqa: E402
from hwsim.cli import main  # noqa: E402

GALLERY = Path(__file__).resolve().parents[1] / "docs" / "gallery"

# (file in docs/gallery, command whose output it is, file that command writes)
COMMANDS = [
    ("sweep_speedup.png", "hwsim sweep ibm_rnnt_swb --device ibm_7nm_ai_chip --precisions fp16,int4 "
                          "--beams 1,2,4,8,16 --frames 152 --out out/fig1a --quiet", "out/fig1a/speedup.png"),
    ("roofline.png", "hwsim cost ibm_rnnt_swb int4 --device ibm_7nm_ai_chip --frames 152 --beam 8 "
                     "--roofline roofline.png --json", "roofline.png"),
    ("qat_sqnr.png", "hwsim qat ibm_rnnt_swb int4 --out reports/qat/ibm_int4", "reports/qat/ibm_int4/sqnr.png"),
    ("serve_latency_vs_load.png", "hwsim serve usm_rnnt_1b exp5 --device tpu_v5e --host xeon_host --scenario server "
                                  "--rates 10,20,30,40 --duration-s 10 --slo-p99-s 1 --out out/serve --quiet",
     "out/serve/latency_vs_load.png"),
]
# (file, Python call shown in the gallery)
API_CALLS = [
    ("api_simulation.png", 'hw.simulate("ibm_rnnt_swb", "int4", device="ibm_7nm_ai_chip", frames=152, beam=8)'
                           '.plot(path="api_simulation.png")'),
    ("api_size.png", 'hw.size("usm_rnnt_1b", "exp5").plot(path="api_size.png")'),
    ("api_claims.png", 'hw.check().plot(path="api_claims.png")'),
]


def main_() -> int:
    GALLERY.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for name, command, written in COMMANDS:
            argv = shlex.split(command)[1:]
            argv = [str(work / a) if a.startswith(("out/", "reports/", "roofline.png")) else a for a in argv]
            import contextlib
            import io

            with contextlib.redirect_stdout(io.StringIO()):
                if main(argv) != 0:
                    raise SystemExit(f"failed: {command}")
            shutil.copy(work / written, GALLERY / name)
            print(f"wrote docs/gallery/{name}")
        for name, call in API_CALLS:
            eval(call.replace(f'path="{name}"', f'path={str(GALLERY / name)!r}'), {"hw": hw})
            print(f"wrote docs/gallery/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main_())
