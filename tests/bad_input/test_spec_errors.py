"""Broken workload/precision/claims files and arguments: one line naming file, key path and expectation; exit 2."""

from pathlib import Path

import yaml

from hwsim.io.paths import MODELS_DIR, PRECISIONS_DIR

IBM = MODELS_DIR / "ibm_rnnt_swb.yaml"
INT4 = PRECISIONS_DIR / "ibm_rnnt_swb" / "int4.yaml"


def edited(path: Path, tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(path.read_text())
    edit(data)
    out = tmp_path / path.name
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return out


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.code == 2
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("hwsim: error: ")
    assert "Traceback" not in result.err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_unknown_workload_key_suggests_nearest(run_cli, tmp_path):
    bad = edited(IBM, tmp_path, lambda d: d["encoder"].update(hiden_dim=640))
    assert_one_line_error(run_cli("params", str(bad)), str(bad), "encoder.hiden_dim", "did you mean 'hidden_dim'")


def test_wrong_type(run_cli, tmp_path):
    bad = edited(IBM, tmp_path, lambda d: d["encoder"].update(num_layers="six"))
    assert_one_line_error(run_cli("params", str(bad)), "encoder.num_layers", "six")


def test_negative_dimension(run_cli, tmp_path):
    bad = edited(IBM, tmp_path, lambda d: d["predictor"].update(hidden_dim=-768))
    assert_one_line_error(run_cli("params", str(bad)), "predictor.hidden_dim", "greater than 0", "-768")


def test_heads_must_divide_model_dim(run_cli, tmp_path):
    bad = edited(MODELS_DIR / "usm_rnnt_1b.yaml", tmp_path, lambda d: d["encoder"].update(num_heads=7))
    assert_one_line_error(run_cli("params", str(bad)), "encoder", "divisible by num_heads")


def test_wrong_schema_version(run_cli, tmp_path):
    bad = edited(IBM, tmp_path, lambda d: d.update(schema_version=2))
    assert_one_line_error(run_cli("params", str(bad)), "schema_version", "expected 1", "2")


def test_unknown_format_name(run_cli, tmp_path):
    bad = edited(INT4, tmp_path, lambda d: d["rules"][0]["weights"].update(format="int3"))
    assert_one_line_error(run_cli("size", "ibm_rnnt_swb", str(bad)), str(bad), "rules[0].weights.format",
                          "unknown 'int3'")


def test_unknown_quantizer_suggests_nearest(run_cli, tmp_path):
    bad = edited(INT4, tmp_path, lambda d: d["rules"][0]["weights"].update(quantizer="sawbb"))
    assert_one_line_error(run_cli("size", "ibm_rnnt_swb", str(bad)), "rules[0].weights.quantizer",
                          "did you mean 'sawb'")


def test_block_size_must_divide_axis(run_cli, tmp_path):
    path = PRECISIONS_DIR / "usm_rnnt_1b" / "exp5.yaml"
    bad = edited(path, tmp_path, lambda d: d["rules"][0]["weights"].update(block_size=100))
    assert_one_line_error(run_cli("size", "usm_rnnt_1b", str(bad)), "rules[0].weights.block_size",
                          "a divisor of", "100")


def test_rule_matching_nothing(run_cli, tmp_path):
    bad = edited(INT4, tmp_path, lambda d: d["rules"][0]["match"].update(name="encoder.layerz.*"))
    assert_one_line_error(run_cli("size", "ibm_rnnt_swb", str(bad)), "rules[0].match", "matching at least one",
                          "encoder.layerz.*")


def test_sub_channel_without_block(run_cli, tmp_path):
    path = PRECISIONS_DIR / "usm_rnnt_1b" / "exp5.yaml"
    bad = edited(path, tmp_path, lambda d: d["rules"][0]["weights"].pop("block_size"))
    assert_one_line_error(run_cli("size", "usm_rnnt_1b", str(bad)), "rules[0].weights", "block_size")


def test_missing_file(run_cli, tmp_path):
    assert_one_line_error(run_cli("size", str(tmp_path / "nope.yaml"), "int4"), "nope.yaml", "not found")


def test_unknown_shipped_names(run_cli):
    assert_one_line_error(run_cli("size", "usm_rnnt_1c", "exp5"), "unknown workload", "did you mean 'usm_rnnt_1b'")
    assert_one_line_error(run_cli("size", "usm_rnnt_1b", "int4"), "unknown precision 'int4'")


def test_invalid_yaml_syntax(run_cli, tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("schema_version: 1\nname: [unclosed\n")
    assert_one_line_error(run_cli("params", str(bad)), "broken.yaml", "valid YAML")


def test_override_of_unknown_key(run_cli):
    assert_one_line_error(run_cli("params", "usm_rnnt_1b", "--set", "predictor.embed_dm=64"),
                          "predictor.embed_dm", "did you mean 'embed_dim'")


def test_override_with_invalid_value(run_cli):
    assert_one_line_error(run_cli("params", "usm_rnnt_1b", "--set", "predictor.embed_dim=0"), "predictor.embed_dim")


def test_bad_claims_file(run_cli, tmp_path):
    bad = tmp_path / "claims.yaml"
    bad.write_text("schema_version: 1\nname: x\nsource: y\nclaims:\n  - id: a\n    description: d\n"
                   "    citation: c\n    workload: usm_rnnt_1b\n    quantity: size_gbits\n    paper_value: 1\n")
    assert_one_line_error(run_cli("check", str(bad)), "claims[0].quantity", "did you mean 'size_gbit'")


def test_report_not_written_on_error(run_cli, tmp_path):
    bad = tmp_path / "claims.yaml"
    bad.write_text("schema_version: 1\nname: x\nsource: y\nclaims: []\n")
    out = tmp_path / "report"
    result = run_cli("check", str(bad), "--report", str(out))
    assert result.code == 2
    assert not out.exists()
