"""Size accounting where the shipped tests had one axis or no padding (issue 28, item 4): rows packed along the
largest of several contracting axes, the reported value bits apart from padding and metadata, and the bits one
metadata entry costs when a claim's paper figure is explained (a zero point doubles it)."""

from __future__ import annotations

from types import SimpleNamespace

from hwsim.graph.model import Component, Graph, Role, Tensor
from hwsim.precision.plan import plan_precision
from hwsim.size import account_size
from hwsim.size.claims import _bits_per_metadata_entry
from hwsim.specs.precision import MetadataDtype, PrecisionSpec

KERNEL = Tensor("w", (3, 5, 10), Role.WEIGHT, Component.ENCODER, ("k1", "k2", "out"), (0, 1), (2,))


def report_of(tensor: Tensor, weights: dict):
    spec = PrecisionSpec.model_validate({"schema_version": 1, "name": "t", "rules": [
        {"match": {"name": "*"}, "weights": weights}]})
    graph = Graph("toy", "rnnt", (tensor,), (), 0.01, 1, 10)
    return account_size(graph, plan_precision(spec, graph))


def test_sub_byte_rows_pack_along_the_largest_contracting_axis():
    # int4 per channel: rows of k2 = 5 codes (20 bits -> 3 bytes, 4 bits padding), 150 / 5 = 30 rows: 120 bits.
    # (Along k1 it would be 50 rows of 12 bits padded to 16: 200.)
    size = report_of(KERNEL, {"format": "int4"}).tensors[0]
    assert (size.value_bits, size.padding_bits) == (150 * 4, 30 * 4)
    assert size.metadata_bits == 10 * 32


def test_reported_value_bits_exclude_padding_and_metadata():
    report = report_of(KERNEL, {"format": "int4", "symmetric": False})
    totals = report.to_dict()
    assert totals["value_bits"] == 600 and totals["padding_bits"] == 120
    assert totals["metadata_bits"] == 10 * 2 * 32                      # a scale and a zero point per channel
    assert totals["total_bits"] == 600 + 120 + 640 == report.total_bits


def test_a_metadata_entry_costs_a_scale_and_a_zero_point_when_asymmetric():
    claim = SimpleNamespace(meta_dtype=None)
    symmetric = report_of(KERNEL, {"format": "int4"})
    asymmetric = report_of(KERNEL, {"format": "int4", "symmetric": False})
    assert _bits_per_metadata_entry(symmetric, claim) == 32
    assert _bits_per_metadata_entry(asymmetric, claim) == 64
    assert _bits_per_metadata_entry(asymmetric, SimpleNamespace(meta_dtype=MetadataDtype.INT8)) == 16
