"""Regenerate docs/specs.md, docs/sources.md, schemas/*.json and the schema first line of every shipped YAML file.

Run after changing a spec model (hwsim/specs/*.py) or a shipped file:

    python tools/gen_spec_docs.py          # write
    python tools/gen_spec_docs.py --check  # exit 1 if anything is out of date (what the test checks)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as `python tools/gen_spec_docs.py`: the generators are the tools package's

from tools.spec_docs import generated_files  # noqa: E402

DOCS = ROOT / "docs"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report files that are out of date")
    args = parser.parse_args()
    # schemas and modelines first: the page embeds a shipped file, which must already carry its modeline
    stale = []
    for _ in range(2):
        for path, text in generated_files(DOCS).items():
            if not path.is_file() or path.read_text() != text:
                stale.append(path)
                if not args.check:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text)
        if args.check:
            break
    for path in dict.fromkeys(stale):
        print(("out of date: " if args.check else "wrote ") + str(path))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
