"""The closed sets verbs offer as argparse choices, spelled out so that building a parser imports nothing heavy.

The enums they mirror live in modules that load numpy, pydantic or simpy (hwsim.decode.simulated, hwsim.specs.precision,
...); importing those just to list `--help` choices made every verb's help take about a second.
tests/test_cli_lazy.py checks each tuple here equals its enum, so the two cannot drift apart.
"""

from __future__ import annotations

META_DTYPES = ("f32", "bf16", "int8")                                  # hwsim.specs.precision.MetadataDtype
ALGORITHMS = ("greedy", "beam", "tsd", "alsd", "modified_beam")        # hwsim.decode.simulated.Algorithm
PLACES = ("accelerator", "host")                                       # hwsim.cost.options.Placement
FUSIONS = ("none", "per_layer")                                        # hwsim.cost.options.Fusion
DATAFLOWS = ("ws", "os", "is")                                         # hwsim.cost.hardware.Dataflow
QUANTIZERS = ("absmean", "absmean_centered", "absmax", "absmax_asym", "max", "max_per_channel", "sawb", "sawb_plus",
              "sawb_per_channel", "sawb_unaligned", "pact", "pact2", "pact_plus", "pact2_plus", "pact_sym",
              "bac")                                                   # hwsim.quant.QuantizerKind
RUNTIMES = ("numpy", "onnxruntime")                                    # hwsim.reference.runtimes.RUNTIMES
SCENARIOS = ("offline", "server", "streaming")                         # hwsim.serving.serve.Scenario
BATCHINGS = ("static", "dynamic", "continuous")                        # hwsim.sim.policies.Batching
ORDERS = ("arrival", "sorted", "bucketed")                             # hwsim.serving.order.Order
PADDINGS = ("padded", "packed")                                        # hwsim.sim.policies.Padding
TORCH_DTYPES = ("float32", "bfloat16", "float16")                      # hwsim.reference.torch_rnnt.DTYPES
QAT_DEMO_FLOAT_STEPS = 1000                                            # hwsim.quant.demo.DemoConfig.float_steps
QAT_DEMO_QAT_STEPS = 250                                               # hwsim.quant.demo.DemoConfig.qat_steps
