"""Size accounting on hand-made tensors: values, packing padding, metadata per granularity and dtype."""

import pytest

from hwsim.graph.model import Component, Graph, Role, Tensor
from hwsim.precision.plan import plan_precision
from hwsim.size import account_size
from hwsim.specs.precision import PrecisionSpec


def graph_of(*tensors: Tensor) -> Graph:
    return Graph("toy", "rnnt", tensors, (), 0.01, 1, 10)


W = Tensor("enc.w", (256, 192), Role.WEIGHT, Component.ENCODER, ("in", "out"), (0,), (1,))
ODD = Tensor("enc.odd", (5, 3), Role.WEIGHT, Component.ENCODER, ("in", "out"), (0,), (1,))


def size_of(graph: Graph, weights: dict, meta: str | None = None):
    spec = PrecisionSpec.model_validate({"schema_version": 1, "name": "t", "rules": [
        {"match": {"name": "*"}, "weights": weights}]})
    from hwsim.specs.precision import MetadataDtype
    plan = plan_precision(spec, graph, None, MetadataDtype(meta) if meta else None)
    return account_size(graph, plan)


def test_float_has_no_metadata():
    report = size_of(graph_of(W), {"format": "bf16"})
    assert report.total_bits == 256 * 192 * 16
    assert report.metadata_bits == 0


def test_per_channel_symmetric_int4_one_scale_per_output_channel():
    report = size_of(graph_of(W), {"format": "int4"})
    assert report.metadata_bits == 192 * 32
    assert report.total_bits == 256 * 192 * 4 + 192 * 32


def test_asymmetric_adds_zero_points():
    report = size_of(graph_of(W), {"format": "int2", "symmetric": False})
    assert report.metadata_bits == 2 * 192 * 32


def test_sub_channel_blocks_along_contracting_axis():
    # praxis example: [256, 192] contracting 256 with block 64 -> 4 blocks x 192 channels
    report = size_of(graph_of(W), {"format": "binary", "granularity": "sub_channel", "block_size": 64})
    assert report.tensors[0].metadata_entries == 4 * 192
    assert report.metadata_bits == 4 * 192 * 32


def test_int8_double_quantization_adds_second_level_scale_per_vector():
    report = size_of(graph_of(W), {"format": "int2", "symmetric": False, "granularity": "sub_channel",
                                   "block_size": 64}, meta="int8")
    assert report.metadata_bits == 2 * (4 * 192 * 8 + 32)


def test_per_tensor_is_one_scale():
    assert size_of(graph_of(W), {"format": "int8", "granularity": "per_tensor"}).metadata_bits == 32


def test_sub_byte_rows_are_padded_to_bytes():
    # 5 elements x 4 bits = 20 bits per output-channel row -> 24 bits; 3 rows -> 12 padding bits
    report = size_of(graph_of(ODD), {"format": "int4", "granularity": "per_tensor"})
    assert report.padding_bits == 3 * 4
    assert report.total_bits == 15 * 4 + 12 + 32


def test_container_bits_store_each_code_in_a_wider_word():
    report = size_of(graph_of(W), {"format": "binary", "container_bits": 8, "granularity": "per_tensor"})
    assert report.total_bits == 256 * 192 * 8 + 32


def test_reduction_vs_f32():
    report = size_of(graph_of(W), {"format": "bf16"})
    assert report.reduction_vs_f32 == pytest.approx(2.0)
