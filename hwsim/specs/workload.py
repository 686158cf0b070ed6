"""WorkloadSpec: a model's architecture hyper-parameters as written in workloads/models/*.yaml."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from hwsim.specs.base import NUMBER_ERROR, SpecModel

PositiveInt = Annotated[int, Field(gt=0)]

# The synthetic scorer's limits (hwsim.decode.synthetic), here because the spec checks them before the scorer
# exists: the spec layer sits below decode/ and must not import it.
MAX_SPREAD = 5.0


def min_top_prob(tail_ratio: float) -> float:
    """Below this the best alternative, (1 - p)(1 - r), would outscore the preferred symbol p."""
    return 1.0 - 1.0 / (2.0 - tail_ratio)


class _Spec(SpecModel):
    """Closed keys, frozen, finite numbers, no booleans for numbers (hwsim.specs.base)."""


class ConvSubsamplingSpec(_Spec):
    """Stacked stride-2 conv2d layers over (time, frequency), each followed by a norm, then a projection."""

    kind: Literal["conv2d_subsampling"] = "conv2d_subsampling"
    kernel: tuple[PositiveInt, PositiveInt] = Field(description="conv kernel as [time, frequency]")
    stride: tuple[PositiveInt, PositiveInt] = Field(description="conv stride as [time, frequency]; the time strides "
                                                    "of all layers set the encoder frame rate")
    channels: tuple[PositiveInt, ...] = Field(min_length=1, description="output channels of each conv layer, in order")
    norm: Literal["layer_norm", "batch_norm"] = Field("layer_norm", description="norm after each conv layer")


class ConformerEncoderSpec(_Spec):
    kind: Literal["conformer"] = Field(description="selects this encoder type")
    input_dim: PositiveInt = Field(description="features per input frame (e.g. 128 log-mel bins)")
    frontend: ConvSubsamplingSpec = Field(description="convolutional subsampling in front of the conformer blocks")
    model_dim: PositiveInt = Field(description="width of every conformer block")
    num_layers: PositiveInt = Field(description="conformer blocks")
    num_heads: PositiveInt = Field(description="self-attention heads; must divide model_dim")
    ffn_multiplier: PositiveInt = Field(description="feed-forward hidden width = ffn_multiplier x model_dim")
    conv_kernel: PositiveInt = Field(description="depthwise convolution kernel, in encoder frames")
    attention_left_context: Annotated[int, Field(ge=0)] = Field(description="encoder frames each frame attends to "
                                                                "in the past (local attention)")
    attention_right_context: Annotated[int, Field(ge=0)] = Field(description="encoder frames of look-ahead; 0 = causal")
    linear_bias: bool = Field(True, description="dense layers carry a bias vector")
    conv_norm: Literal["batch_norm", "layer_norm"] = Field("batch_norm", description="norm inside the convolution module")

    @model_validator(mode="after")
    def _heads_divide_model_dim(self) -> "ConformerEncoderSpec":
        if self.model_dim % self.num_heads:
            raise ValueError(f"expected model_dim ({self.model_dim}) divisible by num_heads ({self.num_heads})")
        return self


LstmBias = Literal["two", "one", "none"]


class TimeReductionSpec(_Spec):
    """Frame stacking between encoder layers: `factor` consecutive outputs of layer `after_layer` (0-based) are
    concatenated into one frame, so later layers see factor x the width at 1 / factor of the frame rate."""

    after_layer: Annotated[int, Field(ge=0, description="0-based encoder layer whose outputs are stacked")]
    factor: Annotated[int, Field(ge=2, description="consecutive frames concatenated into one")]


class BlstmEncoderSpec(_Spec):
    """Stacked LSTM encoder: bidirectional (offline) or unidirectional (streaming), with optional projection
    (LSTMP: each layer's output projected to `projection_dim`) and time-reduction layers between layers."""

    kind: Literal["blstm"] = Field(description="selects this encoder type")
    input_dim: PositiveInt = Field(description="features per input frame")
    hidden_dim: PositiveInt = Field(description="LSTM cells per direction")
    num_layers: PositiveInt = Field(description="stacked LSTM layers")
    bidirectional: bool = Field(True, description="one LSTM per direction, outputs concatenated; false = unidirectional (streaming)")
    lstm_bias: LstmBias = Field("two", description="bias vectors per gate set: two (b_ih and b_hh, PyTorch), one, none")
    frame_divisor: PositiveInt = Field(1, description="input frames per encoder frame (frame stacking/skipping)")
    projection_dim: PositiveInt | None = Field(None, description="LSTMP: each layer's output projected to this width")
    time_reduction: tuple[TimeReductionSpec, ...] = Field((), description="frame-stacking layers between encoder layers")

    @model_validator(mode="after")
    def _reductions_between_layers(self) -> "BlstmEncoderSpec":
        seen = set()
        for i, reduction in enumerate(self.time_reduction):
            if reduction.after_layer >= self.num_layers - 1:
                raise ValueError(f"expected time_reduction[{i}].after_layer below num_layers - 1 = "
                                 f"{self.num_layers - 1} (a reduction sits between two layers), got {reduction.after_layer}")
            if reduction.after_layer in seen:
                raise ValueError(f"expected one time_reduction per layer, got two after layer {reduction.after_layer}")
            seen.add(reduction.after_layer)
        return self

    def reduction_after(self, layer: int) -> int:
        """Stacking factor applied to layer `layer`'s output (1 = none)."""
        return next((r.factor for r in self.time_reduction if r.after_layer == layer), 1)

    @property
    def total_frame_divisor(self) -> int:
        """Input frames per encoder output frame: the input stacking times every time reduction."""
        divisor = self.frame_divisor
        for reduction in self.time_reduction:
            divisor *= reduction.factor
        return divisor


class LstmPredictorSpec(_Spec):
    kind: Literal["lstm"] = Field(description="selects this prediction network type")
    num_layers: PositiveInt = Field(description="stacked LSTM layers")
    hidden_dim: PositiveInt = Field(description="LSTM cells")
    embed_dim: PositiveInt = Field(description="label embedding width")
    lstm_bias: LstmBias = Field("two", description="bias vectors per gate set: two (b_ih and b_hh, PyTorch), one, none")
    projection_dim: PositiveInt | None = Field(None, description="LSTMP: each layer's output projected to this width")


class JointSpec(_Spec):
    """RNN-T joint: project encoder and predictor outputs to hidden_dim, combine, then project to the vocabulary."""

    kind: Literal["additive", "multiplicative"] = Field(description="how the projected encoder and predictor "
                                                         "outputs combine: sum or element-wise product")
    hidden_dim: PositiveInt = Field(description="joint hidden width")
    vocab_size: PositiveInt = Field(description="output labels including blank")
    bias: bool = Field(True, description="dense layers carry a bias vector")
    activation: Literal["tanh", "relu", "sigmoid", "none"] = Field(
        "tanh", description="non-linearity after combining: tanh (Graves 2012, ESPnet, icefall), relu (torchaudio "
        "Emformer RNN-T, NeMo), sigmoid (NeMo) or none")


class BottleneckOutputSpec(_Spec):
    """Hybrid acoustic model head: FC bottleneck then FC to the HMM-state outputs."""

    kind: Literal["bottleneck_fc"] = Field(description="selects this output head type")
    bottleneck_dim: PositiveInt = Field(description="bottleneck FC width")
    output_dim: PositiveInt = Field(description="HMM-state outputs")
    bias: bool = Field(True, description="dense layers carry a bias vector")


Probability = Annotated[float, Field(ge=0, le=1)]


class DecodingSpec(_Spec):
    """Statistics of the simulator's synthetic scorer (hwsim.decode.synthetic) and the search defaults.

    `hwsim fit-decoding TRACE.json [TRACE.json ...]` fits the first three from recorded decodes; the workload's
    `inferred:` map says which values are fitted and which are assumptions.
    """

    label_rate_per_frame: Annotated[float, Field(gt=0, lt=1)] = Field(
        description="labels per encoder frame on the best hypothesis (fit with hwsim fit-decoding)")
    top_prob: Annotated[float, Field(gt=1 / 3, lt=1)] = Field(
        0.9, description="probability of the synthetic scorer's preferred symbol")
    competitor_repeat_prob: Probability = Field(
        0.0, description="probability that a frame's competing labels are the previous frame's")
    confidence_spread: Annotated[float, Field(ge=0, le=MAX_SPREAD)] = Field(
        0.0, description="standard deviation over frames of the log-odds of the competing mass 1 - top_prob "
        "(0: every frame alike; top_prob is then the median frame's)")
    due_top_prob: Annotated[float, Field(gt=0, lt=1)] | None = Field(
        None, description="probability of the owed label on rows due one (default: top_prob)")
    tail_ratio: Annotated[float, Field(gt=0, lt=1)] = Field(
        0.5, description="each further alternative's share of the competing mass relative to the one before "
        "(0.5: the geometric tail 1/2, 1/4, ...)")
    max_symbols_per_frame: Annotated[int, Field(gt=0)] = Field(3, description="labels per frame at most (S)")
    topk_per_hyp: Annotated[int, Field(gt=0)] = Field(4, description="candidates kept per hypothesis before pruning")

    @model_validator(mode="after")
    def _preferred_symbol_stays_preferred(self) -> "DecodingSpec":
        lowest = min_top_prob(self.tail_ratio)
        for name in ("top_prob", "due_top_prob"):
            value = getattr(self, name)
            if value is not None and value <= lowest:
                # named by its own key path (hwsim.specs.load appends ctx["key"]), as a field's own limit is
                raise PydanticCustomError(NUMBER_ERROR, f"expected a number above {lowest:.4g} (1 - 1 / (2 - "
                                          f"tail_ratio), tail_ratio {self.tail_ratio:g})", {"key": name, "value": value})
        return self


class HmmSearchSpec(_Spec):
    """Hybrid models: the host's WFST/HMM search, as a documented per-frame cost."""

    active_tokens_per_frame: Annotated[int, Field(gt=0)] = Field(description="WFST tokens alive after pruning")
    ops_per_token: Annotated[float, Field(gt=0)] = Field(description="host ops to expand and score one token")


EncoderSpec = Annotated[Union[ConformerEncoderSpec, BlstmEncoderSpec], Field(discriminator="kind")]


class WorkloadSpec(_Spec):
    schema_version: Literal[1] = Field(description="file format version")
    name: str = Field(description="the workload's name (shipped files: the file stem)")
    description: str = Field("", description="one line for listings")
    source: str = Field(description="the paper (and section) the architecture comes from")
    architecture: Literal["rnnt", "hybrid_hmm"] = Field(description="rnnt: encoder, predictor, joint and beam search; "
                                                        "hybrid_hmm: encoder, output head and a host HMM search")
    input_frame_step_s: Annotated[float, Field(gt=0)] = Field(description="time between input feature frames")
    encoder: EncoderSpec = Field(description="the acoustic encoder; `kind` picks conformer or blstm")
    predictor: LstmPredictorSpec | None = Field(None, description="RNN-T prediction network (rnnt only)")
    joint: JointSpec | None = Field(None, description="RNN-T joint network (rnnt only)")
    output: BottleneckOutputSpec | None = Field(None, description="hybrid output head (hybrid_hmm only)")
    decoding: DecodingSpec | None = Field(None, description="emission model and search defaults (rnnt only)")
    hmm_search: HmmSearchSpec | None = Field(None, description="host HMM search cost (hybrid_hmm only)")
    precisions_dir: str | None = Field(None, description="folder under workloads/precisions/ with this "
                                       "model's configs (default: name)")
    inferred: dict[str, str] = Field(default_factory=dict, description="dotted key -> how a value the paper leaves "
                                     "unstated was derived; every entry must name a key of this file")

    @model_validator(mode="after")
    def _parts_match_architecture(self) -> "WorkloadSpec":
        if self.architecture == "rnnt" and (self.predictor is None or self.joint is None or self.decoding is None):
            raise ValueError("expected an rnnt workload to have 'predictor', 'joint' and 'decoding'")
        if self.architecture == "hybrid_hmm" and (self.output is None or self.predictor or self.joint
                                                  or self.hmm_search is None):
            raise ValueError("expected a hybrid_hmm workload to have 'output' and 'hmm_search', no 'predictor'/'joint'")
        dumped = self.model_dump()
        for dotted in self.inferred:
            node: object = dumped
            for key in dotted.split("."):
                if not isinstance(node, dict) or key not in node:
                    raise ValueError(f"expected every 'inferred' entry to name a key of this file, got {dotted!r}")
                node = node[key]
        return self
