"""Workload graphs: a validated WorkloadSpec expanded into named tensors and ops."""

from hwsim.graph.model import Component, Graph, GemmShape, Op, OpKind, Role, Tensor, Trigger

__all__ = ["Component", "Graph", "GemmShape", "Op", "OpKind", "Role", "Tensor", "Trigger"]
