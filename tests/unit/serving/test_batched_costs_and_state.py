"""The additive batched encoder cost and the per-stream state of a real workload, by hand."""

from __future__ import annotations

import pytest

from hwsim.serving.memory import chip_memory, streaming_cache_bytes
from hwsim.pipeline.point import RunRequest, prepare_point

USM = RunRequest("usm_rnnt_1b", "exp5", "tpu_v5e", 1, host="xeon_host",
                 precision_overrides=("defaults.weights.format=bf16", "defaults.activations.format=bf16"))
IBM = RunRequest("ibm_rnnt_swb", "int4", "ibm_7nm_ai_chip", 1)


def total(segments) -> float:
    return sum(s.duration_s for s in segments)


@pytest.mark.parametrize("request_", [USM, IBM], ids=["conformer", "lstm"])
def test_encoder_batch_of_one_is_the_encoder(request_):
    costs = prepare_point(request_).costs
    for exclusive in (False, True):
        assert tuple(costs.encoder_batch(64, 1, exclusive)) == tuple(costs.encoder(64, exclusive))


@pytest.mark.parametrize("request_", [USM, IBM], ids=["conformer", "lstm"])
def test_a_batch_shares_weight_reads_but_does_all_the_work(request_):
    costs = prepare_point(request_).costs
    one, eight = total(costs.encoder(64, True)), total(costs.encoder_batch(64, 8, True))
    assert one < eight < 8 * one


def test_recurrent_encoders_keep_their_sequential_steps_in_a_batch():
    costs = prepare_point(IBM).costs
    assert len(costs.encoder_batch(64, 8, False)) == len(costs.encoder(64, False))


def test_streaming_state_of_the_usm_conformer_by_hand():
    prepared = prepare_point(USM)
    model = prepared.model
    # 16 layers x (keys + values of the 129 + 128 other frames of the attention window x 1536 dims
    #              + 4 past frames of the kernel-5 depthwise convolution x 1536 channels), bf16 = 2 bytes
    per_layer = 2 * (129 + 128) * 1536 * 2 + (5 - 1) * 1536 * 2
    assert streaming_cache_bytes(model.graph, model.plan) == 16 * per_layer
    whole = chip_memory(model.graph, model.plan, prepared.sizes, prepared.device, 1500, None, 8)
    chunked = chip_memory(model.graph, model.plan, prepared.sizes, prepared.device, 1500, 32, 8)
    assert chunked.state.streaming_cache_bytes == 16 * per_layer and whole.state.streaming_cache_bytes == 0
    # the encoder output held while decoding: the joint's 640-wide encoder projection of every encoder frame
    # (4x sub-sampling), bf16; the whole 1500-frame utterance's, or one 32-frame chunk's when streaming
    assert whole.state.encoder_output_bytes == 375 * 640 * 2
    assert chunked.state.encoder_output_bytes == 8 * 640 * 2
    assert chunked.per_stream_bytes - whole.per_stream_bytes == 16 * per_layer - (375 - 8) * 640 * 2
    assert whole.weights_bytes == prepared.sizes.total_bits / 8
