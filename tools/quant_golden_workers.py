"""Run inside the throw-away library virtualenvs by make_quant_goldens.py; imports no hwsim code.

    python quant_golden_workers.py {praxis|fms} INPUTS.npz OUT_DIR

praxis weights are [in, out] with eqn '...y,yz->...z' (contract dim 0); hwsim's layout is [out, in],
so every array is transposed on the way in and out and the goldens are stored in hwsim's layout.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

PRAXIS_CASES = [  # (file, quant_method, use_symmetric, bits list, inputs, block_size)
    ("absmean", "bin", True, [1], ["gauss", "laplace", "ties", "fig2"], 0),
    ("absmean_centered", "bin_norm", True, [1], ["gauss", "laplace", "ties"], 0),
    ("absmax", "default", True, [2, 4, 8], ["gauss", "laplace", "ties"], 0),
    ("absmax_asym", "default", False, [1, 2, 4, 8], ["gauss", "laplace", "ties"], 0),
    ("absmean_block", "bin", True, [1], ["fig2"], 3),
    ("absmax_asym_block", "default", False, [2], ["gauss", "laplace"], 4),
    ("absmax_block", "default", True, [4], ["gauss"], 4),
]


def praxis_case(ops, jnp, jax, w, g, method, symmetric, bits, block):
    wt, gt = jnp.asarray(w.T), jnp.asarray(g.T)

    def fq(t):
        return ops.fakequant_einsum("...y,yz->...z", t, bits=bits, use_symmetric=symmetric,
                                    block_size=block, quant_method=method)

    dequant, vjp = jax.vjp(fq, wt)
    (grad,) = vjp(gt)
    shape, dims = list(wt.shape), [0]
    if block:
        shape, dims = ops.get_sub_channel_shape(shape, block, dims)
    q, scale, zp = ops.reduce_precision(jnp.reshape(wt, shape), dims, bits=bits, use_symmetric=symmetric,
                                        quant_method=method)
    blocked_to_hwsim = (lambda a: np.moveaxis(np.asarray(a), -1, 0)) if block else (lambda a: np.asarray(a).T)
    out = {"dequant": np.asarray(dequant).T, "grad": np.asarray(grad).T,
           "q": blocked_to_hwsim(q), "scale": blocked_to_hwsim(scale)}
    if zp is not None:
        out["zp"] = blocked_to_hwsim(zp)
    return out


def praxis_worker(inputs, out_dir: Path) -> None:
    import jax
    import jax.numpy as jnp
    from praxis.layers.quantization import operations as ops

    for name, method, symmetric, bit_list, names, block in PRAXIS_CASES:
        golden = {}
        for bits in bit_list:
            for x_name in names:
                case = f"{x_name}_b{bits}"
                res = praxis_case(ops, jnp, jax, inputs[x_name], inputs[f"G_{x_name}"], method, symmetric, bits, block)
                golden.update({f"{case}__{k}": v for k, v in res.items()})
                golden.update({f"{case}__x": inputs[x_name], f"{case}__G": inputs[f"G_{x_name}"],
                               f"{case}__bits": np.int32(bits), f"{case}__block": np.int32(block)})
        np.savez_compressed(out_dir / f"praxis_{name}.npz", **golden)


FMS_WEIGHT_CASES = [  # (file, factory args, bits, inputs)
    ("max", ("max", {}), [2, 4, 8], ["gauss", "laplace", "ties"]),
    ("max_per_channel", ("maxperCh", {"w_shape": True}), [2, 4, 8], ["gauss", "laplace", "ties"]),
    ("sawb", ("sawb", {}), [2, 4, 8], ["gauss", "laplace", "ties"]),
    ("sawb_plus", ("sawb+", {}), [2, 4, 8], ["gauss", "laplace", "ties"]),
    ("sawb_per_channel", ("sawb+perCh", {"w_shape": True}), [2, 4, 8], ["gauss", "laplace"]),
    ("sawb_unaligned", (None, {}), [2, 4, 8], ["gauss", "laplace"]),
]
FMS_ACT_CASES = [  # (file, qa_mode, non_neg, bits, inputs, alpha, alpha_neg)
    ("pact", "pact", True, [2, 4, 8], ["act_pos"], 2.0, None),
    ("pact2", "pact", False, [2, 4, 8], ["act_signed"], 2.0, -1.5),
    ("pact_plus", "pact+", True, [2, 4, 8], ["act_pos"], 2.0, None),
    ("pact2_plus", "pact+", False, [2, 4, 8], ["act_signed"], 2.0, -1.5),
    ("pact_sym", "pactsym", False, [2, 4, 8], ["act_signed"], 1.5, None),
    ("bac", "fix", False, [2, 4, 8], ["lstm_in", "lstm_h"], None, None),
]
BAC_ALPHA = {"lstm_in": 1 / (1 - 0.25), "lstm_h": 1.0}


def fms_weight_module(qz, torch, mode, kwargs, bits, shape):
    if mode is None:
        return qz.SAWB(bits, dequantize=True, align_zero=False, clipSTE=False)
    kwargs = {"w_shape": shape} if kwargs.get("w_shape") else {}
    return qz.get_weight_quantizer(mode, bits, **kwargs)


def fms_run(torch, module, x, g):
    module.train()
    xt = torch.tensor(x, requires_grad=True)
    y = module(xt)
    y.backward(torch.tensor(g))
    out = {"dequant": y.detach().numpy(), "grad": xt.grad.numpy()}
    for attr, key in (("clip_val", "dalpha"), ("clip_valn", "dalpha_neg")):
        param = getattr(module, attr, None)
        if isinstance(param, torch.nn.Parameter) and param.grad is not None:
            out[key] = param.grad.numpy().astype(np.float32)
    return out


def fms_codes(torch, module, x):
    if not hasattr(module, "dequantize"):
        return None
    module.dequantize = False
    with torch.no_grad():
        q = module(torch.tensor(x)).numpy()
    module.dequantize = True
    if not np.all(np.isfinite(q)):  # e.g. QmaxPerChSTE on an all-zero row computes 0/0 = NaN codes
        return None
    return np.rint(q).astype(np.int32)


def fms_worker(inputs, out_dir: Path) -> None:
    import torch
    from fms_mo.quant import quantizers as qz

    for name, (mode, kwargs), bit_list, names in FMS_WEIGHT_CASES:
        golden = {}
        for bits in bit_list:
            for x_name in names:
                case, x, g = f"{x_name}_b{bits}", inputs[x_name], inputs[f"G_{x_name}"]
                res = fms_run(torch, fms_weight_module(qz, torch, mode, kwargs, bits, x.shape), x, g)
                q = None if mode is None else fms_codes(torch, fms_weight_module(qz, torch, mode, kwargs, bits, x.shape), x)
                if q is not None:
                    res["q"] = q
                golden.update({f"{case}__{k}": v for k, v in res.items()})
                golden.update({f"{case}__x": x, f"{case}__G": g, f"{case}__bits": np.int32(bits)})
        np.savez_compressed(out_dir / f"fms_{name}.npz", **golden)
    for name, mode, non_neg, bit_list, names, alpha, alpha_neg in FMS_ACT_CASES:
        golden = {}
        for bits in bit_list:
            for x_name in names:
                case, x, g = f"{x_name}_b{bits}", inputs[x_name], inputs[f"G_{x_name}"]
                a = BAC_ALPHA[x_name] if mode == "fix" else alpha
                make = lambda: qz.get_activation_quantizer(mode, bits, clip_val=a, clip_valn=alpha_neg, non_neg=non_neg)
                res = fms_run(torch, make(), x, g)
                q = fms_codes(torch, make(), x)
                if q is not None:
                    res["q"] = q
                golden.update({f"{case}__{k}": v for k, v in res.items()})
                golden.update({f"{case}__x": x, f"{case}__G": g, f"{case}__bits": np.int32(bits),
                               f"{case}__alpha": np.float32(a),
                               f"{case}__alpha_neg": np.float32(np.nan if alpha_neg is None else alpha_neg)})
        np.savez_compressed(out_dir / f"fms_{name}.npz", **golden)


def main() -> None:
    library, inputs_file, out_dir = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    inputs = dict(np.load(inputs_file))
    {"praxis": praxis_worker, "fms": fms_worker}[library](inputs, out_dir)
    print(f"{library}: wrote goldens to {out_dir}")


if __name__ == "__main__":
    main()
