"""Rule resolution: order, roles, op activation formats."""

from hwsim.precision.resolved import resolve_model


def test_later_rule_overrides_earlier():
    plan = resolve_model("ibm_rnnt_swb", "int4").plan
    assert plan.tensor("encoder.layers.0.fwd.w_ih").format.value == "fp16"   # first layer kept FP
    assert plan.tensor("encoder.layers.1.fwd.w_ih").format.value == "int4"
    assert plan.tensor("encoder.layers.1.fwd.b_ih").format.value == "fp16"   # roles: [weight] only


def test_op_activation_formats_follow_rules():
    plan = resolve_model("ibm_rnnt_swb", "int4").plan
    assert plan.op("encoder.layers.2.bwd.input_proj").activation_format.value == "int4"
    assert plan.op("encoder.layers.2.bwd.input_proj").clip_alpha == 1.25
    assert plan.op("encoder.layers.2.bwd.recurrent_proj").clip_alpha == 1.0
    assert plan.op("encoder.layers.0.fwd.input_proj").activation_format.value == "fp16"
    assert plan.op("encoder.layers.2.bwd.gates").activation_format.value == "fp16"   # cell state stays FP
    assert plan.op("joint.out").activation_format.value == "fp16"


def test_meta_dtype_override_applies_to_quantized_tensors_only():
    plan = resolve_model("usm_rnnt_1b", "exp5", meta_dtype="int8").plan
    assert plan.tensor("encoder.layers.0.ffn_start.ffn_in.w").metadata_dtype.value == "int8"
    assert plan.tensor("predictor.layers.0.w_ih").metadata_entries == 0


def test_default_quantizer_by_format():
    assert resolve_model("usm_rnnt_1b", "exp4").plan.tensor("encoder.layers.0.conv.pointwise_in.w").quantizer == "absmean"


def test_plan_prints_one_line_per_tensor_and_op():
    model = resolve_model("ibm_rnnt_swb", "int4")
    text = str(model.plan)
    assert len(text.splitlines()) == 1 + len(model.graph.tensors) + len(model.graph.ops)
