"""Which weights stay on-chip, and the peak device memory of a run, for lstm_rnnt_small float32 (hand sizes)."""


from hwsim.cost.hardware import load_device
from hwsim.cost.footprint import peak_footprint
from hwsim.cost.residency import plan_residency
from hwsim.size.account import account_size
from hwsim.precision.resolved import resolve_model

MODEL = resolve_model("lstm_rnnt_small", "fp32", [], None, [])
SIZES = account_size(MODEL.graph, MODEL.plan)
EMBED, W_IH, W_HH, PRED_PROJ, OUT = 256 * 64 * 4, 64 * 1280 * 4, 320 * 1280 * 4, 320 * 256 * 4, 256 * 256 * 4
ENCODER_W_HH = 256 * 1024 * 4


def residency(capacity_bytes):
    device = load_device("ibm_7nm_ai_chip", [f"memory.0.capacity_bytes.value={capacity_bytes}"])
    return plan_residency(MODEL.graph, SIZES, device, True)


def test_decoder_weights_fill_the_scratchpad_in_graph_order():
    plan = residency(2_000_000)  # the 1.64 MB predictor w_hh does not fit after the embedding and w_ih
    assert plan.resident == {"predictor.embedding", "predictor.layers.0.w_ih", "joint.pred_proj.w", "joint.out.w"}
    assert plan.resident_bytes == EMBED + W_IH + PRED_PROJ + OUT
    assert plan.where("predictor.layers.0.w_hh") == "stream"


def test_recurrent_encoder_weights_are_staged_when_one_fits():
    assert len(residency(2_000_000).staged) == 8  # 1 MB each
    assert residency(ENCODER_W_HH - 1).staged == frozenset()


def test_residency_off_streams_everything():
    plan = plan_residency(MODEL.graph, SIZES, load_device("ibm_7nm_ai_chip"), False)
    assert plan.resident == frozenset() and plan.where("joint.out.w") == "stream"


def test_peak_footprint_by_hand():
    fp = peak_footprint(MODEL.graph, MODEL.plan, SIZES, load_device("tpu_v5e"), frames=8, chunk_frames=None, beam=4)
    assert fp.weights_bytes == SIZES.total_bits / 8
    assert fp.activations_bytes == (8 * 512 + 8 * 1024) * 4  # largest encoder op: layer >= 1 input projection
    assert fp.hypothesis_states_bytes == 4 * 2 * 320 * 4  # beam x (h, c) x 320 x float32
    assert fp.logits_bytes == 2 * 4 * 256 * 4  # double-buffered beam x vocab float32
    assert fp.encoder_output_bytes == 8 * 256 * 4  # 8 encoder frames x the 256-wide joint encoder projection, f32
    assert fp.total_bytes == (fp.weights_bytes + fp.activations_bytes + fp.hypothesis_states_bytes + fp.logits_bytes
                              + fp.encoder_output_bytes)
    assert fp.capacity_bytes == 17179869184 and fp.fits
