"""The validation play stops a run, before any server is touched, on each kind of
wrong site value, and says which value and why. Runs site.yml against an inventory
without servers, so only the admin machine's play runs."""

import os
import pathlib
import subprocess

import pytest
import yaml

from conftest import REPO, WORK

pytestmark = pytest.mark.static

DATA = REPO / "shared/fixtures/data"


def run_validation(tmp_path, **overrides):
    values = yaml.safe_load((WORK / "site-vars.yml").read_text())
    values.update(overrides)
    site = tmp_path / "site-vars.yml"
    site.write_text(yaml.safe_dump(values))
    inventory = tmp_path / "inventory.yml"
    inventory.write_text("---\npostern:\n  hosts: {}\n")
    out = subprocess.run(
        ["ansible-playbook", "-i", str(inventory), "-e", f"postern_site_vars={site}", "site.yml"],
        cwd=REPO / "ansible", capture_output=True, text=True, env=dict(os.environ, ANSIBLE_FORCE_COLOR="0"),
    )
    return out.returncode, out.stdout + out.stderr


def test_the_runner_s_own_values_pass(tmp_path):
    code, out = run_validation(tmp_path)
    assert code == 0, out[-3000:]


@pytest.mark.parametrize(
    "overrides,said",
    [
        ({"postern_submission_key_fingerprint": "0" * 40}, "not the expected"),
        ({"postern_submission_key_file": str(DATA / "gpg-submission-secret.asc")}, "secret key material"),
        ({"postern_submission_key_file": str(DATA / "expired-public.asc")}, "has expired"),
        ({"postern_submission_key_file": str(DATA / "weak-rsa1024-public.asc")}, "standard OpenPGP policy"),
        ({"postern_backup_key_fingerprint": "F" * 40}, "the administrator's backup key"),
        ({"postern_organization_name": ""}, "postern_organization_name is not set"),
        ({"postern_admin_ssh_keys": []}, "postern_admin_ssh_keys"),
        ({"postern_journalist_devices": [{"name": "Laptop!"}]}, "journalist device Laptop!"),
        ({"postern_source_onion": {"num_intro_points": 2, "intro_rate_per_second": 25, "intro_burst": 200,
                                   "max_streams_per_circuit": 64, "enable_pow": True}}, "postern_source_onion"),
        ({"postern_locales": ["xx-YY"]}, "postern_locales"),
        ({"postern_binary_src": "/nonexistent/postern"}, "no executable postern"),
    ],
)
def test_a_wrong_value_stops_the_run_saying_what_is_wrong(tmp_path, overrides, said):
    code, out = run_validation(tmp_path, **overrides)
    assert code != 0, f"{overrides} passed validation"
    assert said in out, out[-3000:]


def test_a_missing_key_file_is_named(tmp_path):
    code, out = run_validation(tmp_path, postern_submission_key_file=str(pathlib.Path(tmp_path) / "nope.asc"))
    assert code != 0 and "the submission key" in out and "unable to read" in out, out[-3000:]
