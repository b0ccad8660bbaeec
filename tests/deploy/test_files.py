"""What the playbook leaves on the server's disk: users, directories, modes, the
binary's own checks of its configuration and key, hardened units, firewall, SSH,
updates, logs, swap and core dumps. Runs in the chroot tier and again once booted."""

import pathlib
import re

import pytest

ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "target/test-artifacts/deploy"


def test_service_users_cannot_log_in_and_share_one_group(host, layout):
    for role, name in layout["postern_users"].items():
        user = host.user(name)
        assert user.exists, name
        assert user.shell == "/usr/sbin/nologin", name
        assert user.home == "/nonexistent", name
        assert user.password == "!", f"{name} has a locked password"
        assert layout["postern_group"] in user.groups, name
    source, journalist = layout["postern_users"]["source"], layout["postern_users"]["journalist"]
    assert source not in host.user(journalist).groups and journalist not in host.user(source).groups


@pytest.mark.parametrize(
    "key,owner,group,mode",
    [
        ("postern_etc_dir", "root", "postern", 0o750),
        ("postern_config_file", "root", "postern", 0o640),
        ("postern_key_path", "root", "postern", 0o640),
        ("postern_var_dir", "root", "postern", 0o750),
        ("postern_data_dir", "postern-source", "postern", 0o2770),
        ("postern_secrets_file", "postern-source", "postern-source", 0o600),
        ("postern_tor_dir", "root", "postern", 0o750),
        ("postern_devices_dir", "root", "postern-journalist", 0o2750),
        ("postern_server_backup_dir", "root", "root", 0o700),
        ("postern_bin", "root", "root", 0o755),
    ],
)
def test_owners_and_modes(host, layout, key, owner, group, mode):
    f = host.file(layout[key])
    assert f.exists, layout[key]
    assert (f.user, f.group, f.mode) == (owner, group, mode), layout[key]


def test_each_onion_service_keeps_its_keys_to_itself(host, layout):
    for role, user in layout["postern_users"].items():
        d = host.file(f"{layout['postern_tor_dir']}/{role}")
        assert (d.user, d.group, d.mode) == (user, user, 0o700)
    # Unix permissions alone already keep each service out of the other's keys.
    for role, other in (("source", "journalist"), ("journalist", "source")):
        user = layout["postern_users"][role]
        denied = host.run(f"runuser -u {user} -- ls {layout['postern_tor_dir']}/{other}")
        assert denied.rc != 0 and "Permission denied" in denied.stderr, role


def test_the_binary_checks_its_own_configuration_and_key_as_the_service_users(host, layout, site):
    for user in layout["postern_users"].values():
        config = host.run(f"runuser -u {user} -- {layout['postern_bin']} check-config {layout['postern_config_file']}")
        assert config.rc == 0, config.stderr
        key = host.run(f"runuser -u {user} -- {layout['postern_bin']} check-key {layout['postern_key_path']}"
                       f" --fingerprint '{site['postern_submission_key_fingerprint']}'")
        assert key.rc == 0, key.stderr
    text = host.file(layout["postern_config_file"]).content_string
    assert "group_shared = true" in text
    assert re.search(r'^listen = \["127\.0\.0\.1:8080"\]', text, re.M)
    assert "expose_beyond_loopback" not in text, "loopback only"
    assert re.search(r"^intro_rate_per_second = 25$", text, re.M) and re.search(r"^enable_pow = true$", text, re.M)
    assert 'level = "warn"' in text


UNIT_HARDENING = [
    "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes",
    "CapabilityBoundingSet=", "AmbientCapabilities=", "MemoryDenyWriteExecute=yes", "UMask=0007",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "SystemCallFilter=@system-service",
    "SystemCallFilter=~@privileged @resources", "RestrictSUIDSGID=yes", "LockPersonality=yes",
    "ProtectKernelTunables=yes", "ProtectKernelModules=yes", "ProtectControlGroups=yes", "RestrictNamespaces=yes",
    "SystemCallArchitectures=native", "ProtectProc=invisible", "LimitCORE=0", "PrivateMounts=yes",
]


@pytest.mark.parametrize("role", ["source", "journalist"])
def test_units_are_hardened_verified_and_enabled(host, layout, role):
    path = f"/etc/systemd/system/postern-{role}.service"
    unit = host.file(path)
    assert (unit.user, unit.mode) == ("root", 0o644)
    lines = unit.content_string.splitlines()
    for directive in UNIT_HARDENING:
        assert directive in lines, f"{role}: {directive}"
    assert f"User={layout['postern_users'][role]}" in lines
    other = "journalist" if role == "source" else "source"
    assert f"ReadWritePaths={layout['postern_data_dir']} {layout['postern_tor_dir']}/{role}" in lines
    assert f"InaccessiblePaths=-{layout['postern_tor_dir']}/{other}" in lines
    verify = host.run(f"systemd-analyze verify {path}")
    assert verify.rc == 0 and verify.stderr.strip() == "", verify.stderr
    security = host.run(f"systemd-analyze security --offline=true --threshold=20 {path}")
    assert security.rc == 0, security.stdout[-2000:]
    exposure = re.search(r"Overall exposure level for \S+: ([0-9.]+)", security.stdout).group(1)
    assert float(exposure) <= 2.0, f"{role}: exposure {exposure}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"exposure-{role}.txt").write_text(security.stdout)
    assert host.service(f"postern-{role}").is_enabled


def test_the_firewall_rules_check_and_drop_by_default(host, layout):
    rules = host.file("/etc/nftables.conf")
    assert (rules.user, rules.mode) == ("root", 0o600)
    check = host.run("nft --check --file /etc/nftables.conf")
    assert check.rc == 0, check.stderr
    text = rules.content_string
    for chain in ("input", "forward", "output"):
        assert re.search(rf"chain {chain} {{\s+type filter hook {chain} priority filter; policy drop;", text), chain
    uids = [host.user(u).uid for u in layout["postern_users"].values()]
    assert f"meta skuid {{ {', '.join(map(str, uids))} }} meta l4proto tcp accept" in text
    assert "tcp dport 22" in text and "10.77.0.0/30" in text
    assert host.service("nftables").is_enabled


def test_ssh_takes_keys_only_from_the_admin(host, site, layout):
    conf = host.file("/etc/ssh/sshd_config.d/50-postern.conf").content_string.splitlines()
    for line in ("PermitRootLogin no", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
                 f"AllowGroups {layout['postern_ssh_group']}", "AllowTcpForwarding no", "X11Forwarding no"):
        assert line in conf, line
    assert host.run("sshd -t").rc == 0
    admin = host.user(site["postern_admin_user"])
    assert layout["postern_ssh_group"] in admin.groups and admin.password == "!"
    keys = host.file(f"{admin.home}/.ssh/authorized_keys").content_string
    assert keys.strip() == "\n".join(site["postern_admin_ssh_keys"])
    assert host.run("visudo -c").rc == 0


def test_updates_logs_swap_and_core_dumps(host, site):
    dump = host.run("apt-config dump").stdout
    assert 'Unattended-Upgrade::Automatic-Reboot "true";' in dump
    assert f'Unattended-Upgrade::Automatic-Reboot-Time "{site["postern_reboot_time"]}";' in dump
    assert 'APT::Periodic::Unattended-Upgrade "1";' in dump
    assert host.package("unattended-upgrades").is_installed
    journald = host.file("/etc/systemd/journald.conf.d/50-postern.conf").content_string
    for line in ("SystemMaxUse=100M", "MaxRetentionSec=7day", "ForwardToSyslog=no", "ForwardToWall=no"):
        assert line in journald
    sysctl = host.file("/etc/sysctl.d/60-postern.conf").content_string
    assert "kernel.core_pattern = |/bin/false" in sysctl and "fs.suid_dumpable = 0" in sysctl
    assert "Storage=none" in host.file("/etc/systemd/coredump.conf.d/50-postern.conf").content_string
    assert "* hard core 0" in host.file("/etc/security/limits.d/50-postern.conf").content_string
    assert host.run("systemctl is-enabled swap.target").stdout.strip() == "masked"


def test_devices_are_authorised_and_their_keys_left_only_on_the_admin_machine(host, layout, site):
    fetched = pathlib.Path(site["postern_admin_files_dir"])
    assert (fetched.stat().st_mode & 0o777) == 0o700
    for device in site["postern_journalist_devices"]:
        auth = host.file(f"{layout['postern_devices_dir']}/{device['name']}.auth")
        assert (auth.user, auth.group, auth.mode) == ("root", "postern-journalist", 0o640)
        assert re.fullmatch(r"descriptor:x25519:[A-Z2-7]{52}", auth.content_string.strip())
        key = fetched / "journalist-devices" / f"{device['name']}.key"
        assert (key.stat().st_mode & 0o777) == 0o600
        assert re.fullmatch(r"[A-Z2-7]{52}", key.read_text().strip())
    assert host.run(f"ls {layout['postern_server_backup_dir']}").stdout.strip() == "", "no key left on the server"
