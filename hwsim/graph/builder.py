"""GraphBuilder: the small mutable helper the layer builders append tensors and ops to."""

from __future__ import annotations

from dataclasses import dataclass, field

from hwsim.graph.model import Component, GemmShape, Op, OpKind, Role, Tensor, Trigger


@dataclass
class GraphBuilder:
    tensors: list[Tensor] = field(default_factory=list)
    ops: list[Op] = field(default_factory=list)

    def matrix(self, name: str, k: int, n: int, component: Component, role: Role = Role.WEIGHT) -> str:
        """A [k_in, n_out] weight contracted over its first axis."""
        self.tensors.append(Tensor(name, (k, n), role, component, ("in", "out"), (0,), (1,)))
        return name

    def vector(self, name: str, n: int, component: Component, role: Role) -> str:
        self.tensors.append(Tensor(name, (n,), role, component, ("out",), (), (0,)))
        return name

    def add_embedding(self, name: str, vocab: int, dim: int, component: Component) -> str:
        """A [vocab, dim] lookup table; one scale per row (token) if quantized per channel."""
        self.tensors.append(Tensor(name, (vocab, dim), Role.EMBEDDING, component, ("vocab", "embed"), (1,), (0,)))
        return name

    def add(self, tensor: Tensor) -> str:
        self.tensors.append(tensor)
        return tensor.name

    def linear(self, prefix: str, k: int, n: int, component: Component, trigger: Trigger,
               bias: bool, frame_divisor: int = 1, weight_name: str = "w", bias_name: str = "b") -> None:
        """A dense layer: weight [k, n] (+ bias [n]) and its matmul op (bias add counted as vector work)."""
        w = self.matrix(f"{prefix}.{weight_name}", k, n, component)
        extra = (self.vector(f"{prefix}.{bias_name}", n, component, Role.BIAS),) if bias else ()
        self.ops.append(Op(
            name=prefix, component=component, kind=OpKind.MATMUL, trigger=trigger, weight=w,
            gemm=GemmShape(1, k, n), vector_ops_per_row=n if bias else 0,
            in_elements_per_row=k, out_elements_per_row=n, frame_divisor=frame_divisor, extra_weights=extra,
        ))

    def norm(self, prefix: str, dim: int, component: Component, trigger: Trigger, frame_divisor: int = 1,
             with_stats: bool = False, param_dim: int | None = None) -> None:
        """Layer norm (scale, bias) or batch norm (plus moving mean/variance stats). ~5 vector ops per element.

        `param_dim` is the normalised (channel) dimension when it is smaller than the row (conv feature maps).
        """
        n = param_dim or dim
        extra = [self.vector(f"{prefix}.scale", n, component, Role.NORM),
                 self.vector(f"{prefix}.bias", n, component, Role.NORM)]
        if with_stats:
            extra += [self.vector(f"{prefix}.moving_mean", n, component, Role.STATS),
                      self.vector(f"{prefix}.moving_var", n, component, Role.STATS)]
        self.elementwise(prefix, dim, component, trigger, vector_ops=5 * dim, frame_divisor=frame_divisor,
                         kind=OpKind.NORM, extra_weights=tuple(extra))

    def elementwise(self, name: str, dim: int, component: Component, trigger: Trigger, vector_ops: int,
                    sfu_ops: int = 0, frame_divisor: int = 1, kind: OpKind = OpKind.ELEMENTWISE,
                    extra_weights: tuple[str, ...] = (), in_elements: int | None = None) -> None:
        self.ops.append(Op(
            name=name, component=component, kind=kind, trigger=trigger, vector_ops_per_row=vector_ops,
            sfu_ops_per_row=sfu_ops, in_elements_per_row=dim if in_elements is None else in_elements,
            out_elements_per_row=dim, frame_divisor=frame_divisor, extra_weights=extra_weights,
        ))
