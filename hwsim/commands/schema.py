"""Print the JSON Schema of a spec file kind, generated from the same pydantic models that validate the files.

docs/specs.md is the human-readable reference generated from the same models.
"""

from __future__ import annotations

import argparse


from hwsim.commands.common import verb_parser

EXAMPLES = ("hwsim schema device", "hwsim schema workload > workload.schema.json", "hwsim schema claims")


def register(subparsers: argparse._SubParsersAction) -> None:
    kinds = ("device", "workload", "precision", "claims", "speedup_claims")
    parser = verb_parser(subparsers, "schema", "print the JSON Schema of a spec file (device, workload, precision, "
                         "claims)", __doc__, EXAMPLES)
    parser.add_argument("kind", choices=kinds, help="which spec file kind")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hwsim.commands.common import print_json
    from hwsim.specs.schema import spec_json_schema

    print_json(spec_json_schema(args.kind))
    return 0
