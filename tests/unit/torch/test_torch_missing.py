"""`--backend torch` without PyTorch installed: one line, exit 2 (runs whether or not torch is installed)."""

import sys

import pytest

from hwsim.cli import main
from hwsim.errors import SpecError
from hwsim.reference.torch_rnnt import import_torch


def test_backend_without_torch_is_one_line(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ImportError
    with pytest.raises(SpecError, match=r"expected PyTorch installed for --backend torch \(pip install 'hwsim\[torch\]'\)"):
        import_torch()
    code = main(["calibrate", "--backend", "torch", "--quick"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("hwsim: error: --backend: expected PyTorch installed")


