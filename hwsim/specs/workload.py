"""WorkloadSpec: a model's architecture hyper-parameters as written in hwsim/data/workloads/models/*.yaml."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

PositiveInt = Annotated[int, Field(gt=0)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConvSubsamplingSpec(_Spec):
    """Stacked stride-2 conv2d layers over (time, frequency), each followed by a norm, then a projection."""

    kind: Literal["conv2d_subsampling"] = "conv2d_subsampling"
    kernel: tuple[PositiveInt, PositiveInt]
    stride: tuple[PositiveInt, PositiveInt]
    channels: tuple[PositiveInt, ...] = Field(min_length=1)
    norm: Literal["layer_norm", "batch_norm"] = "layer_norm"


class ConformerEncoderSpec(_Spec):
    kind: Literal["conformer"]
    input_dim: PositiveInt
    frontend: ConvSubsamplingSpec
    model_dim: PositiveInt
    num_layers: PositiveInt
    num_heads: PositiveInt
    ffn_multiplier: PositiveInt
    conv_kernel: PositiveInt
    attention_left_context: Annotated[int, Field(ge=0)]
    attention_right_context: Annotated[int, Field(ge=0)]
    linear_bias: bool = True
    conv_norm: Literal["batch_norm", "layer_norm"] = "batch_norm"

    @model_validator(mode="after")
    def _heads_divide_model_dim(self) -> "ConformerEncoderSpec":
        if self.model_dim % self.num_heads:
            raise ValueError(f"expected model_dim ({self.model_dim}) divisible by num_heads ({self.num_heads})")
        return self


LstmBias = Literal["two", "one", "none"]


class BlstmEncoderSpec(_Spec):
    kind: Literal["blstm"]
    input_dim: PositiveInt
    hidden_dim: PositiveInt
    num_layers: PositiveInt
    bidirectional: bool = True
    lstm_bias: LstmBias = "two"
    frame_divisor: PositiveInt = 1


class LstmPredictorSpec(_Spec):
    kind: Literal["lstm"]
    num_layers: PositiveInt
    hidden_dim: PositiveInt
    embed_dim: PositiveInt
    lstm_bias: LstmBias = "two"


class JointSpec(_Spec):
    """RNN-T joint: project encoder and predictor outputs to hidden_dim, combine, then project to the vocabulary."""

    kind: Literal["additive", "multiplicative"]
    hidden_dim: PositiveInt
    vocab_size: PositiveInt
    bias: bool = True
    activation: Literal["tanh", "none"] = "tanh"


class BottleneckOutputSpec(_Spec):
    """Hybrid acoustic model head: FC bottleneck then FC to the HMM-state outputs."""

    kind: Literal["bottleneck_fc"]
    bottleneck_dim: PositiveInt
    output_dim: PositiveInt
    bias: bool = True


Probability = Annotated[float, Field(ge=0, le=1)]


class DecodingSpec(_Spec):
    """Statistics of the simulator's synthetic scorer (hwsim.sim.emission) and the search defaults.

    `hwsim fit-decoding TRACE.json` fits the first three from a recorded decode; the workload's `inferred:`
    map says which values are fitted and which are assumptions.
    """

    label_rate_per_frame: Annotated[float, Field(gt=0, lt=1)]   # labels per encoder frame on the best path
    top_prob: Annotated[float, Field(gt=1 / 3, lt=1)] = 0.9       # probability of the model's preferred symbol
    competitor_repeat_prob: Probability = 0.0                     # a frame's competing labels are the last frame's
    max_symbols_per_frame: Annotated[int, Field(gt=0)] = 3
    topk_per_hyp: Annotated[int, Field(gt=0)] = 4                 # candidates kept per hypothesis before pruning


class HmmSearchSpec(_Spec):
    """Hybrid models: the host's WFST/HMM search, as a documented per-frame cost."""

    active_tokens_per_frame: Annotated[int, Field(gt=0)]
    ops_per_token: Annotated[float, Field(gt=0)]


EncoderSpec = Annotated[Union[ConformerEncoderSpec, BlstmEncoderSpec], Field(discriminator="kind")]


class WorkloadSpec(_Spec):
    schema_version: Literal[1]
    name: str
    description: str = ""
    source: str
    architecture: Literal["rnnt", "hybrid_hmm"]
    input_frame_step_s: Annotated[float, Field(gt=0)]
    encoder: EncoderSpec
    predictor: LstmPredictorSpec | None = None
    joint: JointSpec | None = None
    output: BottleneckOutputSpec | None = None
    decoding: DecodingSpec | None = None
    hmm_search: HmmSearchSpec | None = None
    precisions_dir: str | None = None  # folder under hwsim/data/workloads/precisions/ with this model's configs (default: name)
    inferred: dict[str, str] = Field(default_factory=dict)

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
