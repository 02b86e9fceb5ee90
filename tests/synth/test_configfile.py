from __future__ import annotations

from pathlib import Path

import pytest

from preview.stackconfig import SECRET_PLACEHOLDER, ConfigFileError, read_stack_file
from preview.synth.configfile import naive_config, pr_config


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "stack.yaml"
    path.write_text(text)
    return path


def test_naive_design_overrides_namespaced_keys(tmp_path: Path) -> None:
    """`preview-platform:loadBalancing: shared` in a file becomes dedicated, with no stale copy."""
    path = _write(tmp_path, "config:\n  preview-platform:loadBalancing: shared\n")
    naive = naive_config(read_stack_file(path))
    assert naive["loadBalancing"] == "dedicated"
    assert "preview-platform:loadBalancing" not in naive


def test_cli_keys_win_over_the_template(tmp_path: Path) -> None:
    """A template cannot pin pr or sha: the synth of --pr N is always stack pr-N's config."""
    path = _write(tmp_path, "config:\n  preview-platform:pr: 999\n  sha: abcdef1\n")
    cfg = pr_config(12, template=path)
    assert (cfg["pr"], cfg["sha"]) == (12, "0" * 40)


def test_secure_values_are_replaced_by_a_placeholder(tmp_path: Path) -> None:
    """Encrypted `secure:` values cannot be decrypted offline; the ciphertext is not passed on."""
    path = _write(tmp_path, "config:\n  dbPassword:\n    secure: AAABAxyz\n")
    assert read_stack_file(path)["dbPassword"] == SECRET_PLACEHOLDER


def test_file_without_config_map_is_rejected_with_a_fix(tmp_path: Path) -> None:
    """A YAML file that is not a stack file fails naming the file and the expected shape."""
    path = _write(tmp_path, "- just\n- a list\n")
    with pytest.raises(ConfigFileError, match="no 'config:' map") as err:
        read_stack_file(path)
    assert "Pulumi stack file" in err.value.hint
