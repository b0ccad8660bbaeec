"""Rules every playbook and role keeps, checked without a server (SecureDrop's
"ansible-config" scenario, and more)."""

import pathlib
import re

import pytest
import yaml

pytestmark = pytest.mark.static

ANSIBLE = pathlib.Path(__file__).resolve().parents[2] / "ansible"
PLAYBOOKS = ["site.yml", "backup.yml", "restore.yml"]


def plays():
    for book in PLAYBOOKS:
        for play in yaml.safe_load((ANSIBLE / book).read_text()):
            yield book, play


def tasks():
    for path in sorted(ANSIBLE.glob("roles/*/*/*.yml")):
        if path.parent.name in ("tasks", "handlers"):
            for task in yaml.safe_load(path.read_text()) or []:
                yield path.relative_to(ANSIBLE), task


def test_every_play_fails_fast_in_the_c_locale():
    for book, play in plays():
        name = f"{book}: {play.get('name')}"
        assert play.get("any_errors_fatal") is True, name
        assert play.get("max_fail_percentage") == 0, name
        assert play.get("environment", {}).get("LC_ALL") == "C", name


def test_every_play_reads_the_same_site_values():
    for book, play in plays():
        files = play.get("vars_files", [])
        assert "vars/postern.yml" in files or play.get("hosts") == "localhost" and "tasks" in play, book
        if files:
            assert "{{ postern_site_vars | default('site-vars.yml') }}" in files, book


def test_what_is_secret_is_never_printed():
    secret = re.compile(r"\.key\b|onion-address|auth_private|secrets")
    for path, task in tasks():
        module = next((k for k in task if k.startswith("ansible.builtin.") or k.startswith("ansible.posix.")), None)
        if module in ("ansible.builtin.fetch", "ansible.builtin.copy") and secret.search(str(task[module])):
            if "content" in task[module] or module == "ansible.builtin.fetch":
                assert task.get("no_log") is True, f"{path}: {task['name']}"


def test_commands_say_when_they_change_something():
    for path, task in tasks():
        command = task.get("ansible.builtin.command")
        if command is not None:
            args = command if isinstance(command, dict) else {}
            assert "changed_when" in task or "creates" in args or "removes" in args, f"{path}: {task['name']}"


def test_every_variable_the_roles_use_is_defined_and_documented():
    defined = set(yaml.safe_load((ANSIBLE / "vars/postern.yml").read_text()))
    defined |= set(yaml.safe_load((ANSIBLE / "site-vars.example.yml").read_text()))
    for defaults in ANSIBLE.glob("roles/*/defaults/main.yml"):
        defined |= set(yaml.safe_load(defaults.read_text()) or {})
    example = (ANSIBLE / "site-vars.example.yml").read_text()
    # Optional site values, documented (commented out) in the example.
    optional = {"postern_binary_url", "postern_binary_sha256", "postern_ssh_allowed_networks", "postern_site_vars",
                "postern_restore_archive"}
    for name in optional:
        assert name in example or name in (ANSIBLE / "restore.yml").read_text(), name
    # Facts and loop variables the roles make themselves.
    made = set()
    used = set()
    for path in ANSIBLE.rglob("*"):
        if path.suffix in (".yml", ".j2") and ".cache" not in path.parts:
            text = path.read_text()
            used |= set(re.findall(r"\b(postern_[a-z0-9_]+)", text))
            made |= set(re.findall(r"register: (postern_[a-z0-9_]+)", text))
            made |= set(re.findall(r"loop_var: (postern_[a-z0-9_]+)", text))
            made |= set(re.findall(r"^\s+(postern_[a-z0-9_]+):", text, re.M)) & {"postern_backup_name", "postern_key",
                                                                                 "postern_restore_plain"}
    missing = used - defined - made - optional
    assert not missing, f"used but neither defined nor documented: {sorted(missing)}"


def test_templates_say_who_manages_them():
    for template in ANSIBLE.glob("roles/*/templates/*.j2"):
        assert "Managed by Ansible" in template.read_text(), template.name
