"""The booted instance: both services running sandboxed as their users, both
interfaces answering on loopback, a whole submission through the deployed source
interface that GnuPG decrypts, a journalist who sees it, and a firewall that drops
what it should. Needs systemd as PID 1 (the nspawn tier)."""

import gzip
import os
import pathlib
import re
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import REPO, totp

pytestmark = pytest.mark.needs_systemd

MESSAGE = "A message through the deployed instance — ünïcode included."
DOCUMENT = b"%PDF-1.4 a document the source sends\n" * 1000


def main_pid(host, role):
    return host.run(f"systemctl show -p MainPID --value postern-{role}").stdout.strip()


def test_both_services_run_and_nothing_failed(host):
    for role in ("source", "journalist"):
        assert host.service(f"postern-{role}").is_running, role
    failed = host.run("systemctl --failed --no-legend --plain").stdout.strip()
    assert failed == "", failed


@pytest.mark.parametrize("role", ["source", "journalist"])
def test_the_live_processes_are_sandboxed_as_their_users(host, layout, role):
    pid = main_pid(host, role)
    status = dict(line.split(":\t", 1) for line in host.file(f"/proc/{pid}/status").content_string.splitlines()
                  if ":\t" in line)
    uid = host.user(layout["postern_users"][role]).uid
    assert status["Uid"].split()[:2] == [str(uid), str(uid)]
    assert status["NoNewPrivs"].strip() == "1"
    assert status["Seccomp"].strip() == "2", "a seccomp filter"
    assert int(status["CapEff"], 16) == 0 and int(status["CapBnd"], 16) == 0
    # Inside the service's own mount namespace, even root finds the system read-only,
    # the data writable, and the other service's keys not there at all.
    inside = f"nsenter --target {pid} --mount --"
    assert "Read-only file system" in host.run(f"{inside} touch /etc/postern/probe").stderr
    assert host.run(f"{inside} sh -c 'touch {layout['postern_data_dir']}/.probe && rm {layout['postern_data_dir']}/.probe'").rc == 0
    other = "journalist" if role == "source" else "source"
    assert host.run(f"ls -A {layout['postern_tor_dir']}/{other}").stdout.strip() != "", "the keys exist"
    assert host.run(f"{inside} ls -A {layout['postern_tor_dir']}/{other}").stdout.strip() == "", "but not for us"


def test_the_services_stay_up_without_tor_and_never_log_the_journalist_address(host, site):
    time.sleep(5)
    for role in ("source", "journalist"):
        restarts = host.run(f"systemctl show -p NRestarts --value postern-{role}").stdout.strip()
        assert restarts == "0", f"{role} restarted {restarts} times"
    log = host.run("journalctl --no-pager -o cat -u postern-source -u postern-journalist").stdout
    assert "panic" not in log and "\x1b[" not in log, "no panics, no terminal colour codes"
    journalist_onion = (pathlib.Path(site["postern_admin_files_dir"]) / "journalist-onion-address").read_text().strip()
    assert len(journalist_onion) == 62 and journalist_onion not in log


def test_both_interfaces_answer_on_loopback_and_refuse_other_hosts(web):
    source = web("source")
    index = source.get("/")
    assert index.status == 200 and "Get started" in index.text
    assert index.headers["content-security-policy"].startswith("default-src 'none'")
    assert source.get("/", host="attacker.example").status == 421
    metadata = source.get("/metadata")
    assert metadata.status == 200 and '"v3_source_url":"' in metadata.text.replace(" ", "")
    journalist = web("journalist")
    assert journalist.get("/login").status == 200
    assert journalist.get("/login", host="attacker.example").status == 421


def gpg_decrypt(ciphertext):
    with tempfile.TemporaryDirectory() as home:
        os.chmod(home, 0o700)
        env = dict(os.environ, GNUPGHOME=home)
        base = ["gpg", "--batch", "--quiet", "--no-tty", "--pinentry-mode", "loopback"]
        subprocess.run(base + ["--import", str(REPO / "shared/fixtures/data/gpg-submission-secret.asc")],
                       env=env, check=True, capture_output=True)
        out = subprocess.run(base + ["--decrypt"], input=ciphertext, env=env, check=True, capture_output=True)
        subprocess.run(["gpgconf", "--kill", "all"], env=env, check=False)
        return out.stdout


def test_a_source_submits_and_gnupg_decrypts_what_was_stored(host, layout, web, state):
    source = web("source")
    index = source.get("/")
    made = source.post("/generate", {"csrf_token": index.input("csrf_token"), "tor2web_check": 'href="fake.onion"'})
    assert made.status == 200, made.text[:500]
    codename = re.search(r'id="codename"[^>]*>([^<]+)<', made.text).group(1).strip()
    created = source.post("/create", {"csrf_token": made.input("csrf_token"), "tab_id": made.input("tab_id")})
    assert created.status == 303 and created.headers["location"] == "/lookup"
    lookup = source.get("/lookup")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as doc:
        doc.write(DOCUMENT)
        doc.flush()
        # curl -F reads the file on the host; it is sent to the container's loopback.
        sent = source.post("/submit", parts=[("csrf_token", lookup.input("csrf_token")), ("msg", MESSAGE),
                                             ("fh", f"@{doc.name};filename=leaked report.pdf")])
    assert sent.status == 303, sent.text[:500]
    listing = host.run(f"ls {layout['postern_data_dir']}/store/*/").stdout.split()
    msg = [f for f in listing if f.endswith("-msg.gpg")]
    docs = [f for f in listing if f.endswith("-doc.gz.gpg")]
    assert len(msg) == 1 and len(docs) == 1, listing
    store = host.run(f"ls -d {layout['postern_data_dir']}/store/*/").stdout.split()[0]
    for name in msg + docs:
        f = host.file(f"{store}{name}")
        assert (f.group, f.mode) == ("postern", 0o660), name
    assert gpg_decrypt(host.file(f"{store}{msg[0]}").content).decode() == MESSAGE
    assert gzip.decompress(gpg_decrypt(host.file(f"{store}{docs[0]}").content)) == DOCUMENT
    # No plaintext byte anywhere under the data directory.
    grep = host.run(f"grep -rl 'a document the source sends' {layout['postern_var_dir']}")
    assert grep.stdout.strip() == "", grep.stdout
    state["codename"] = codename
    state["message_file"] = msg[0]


def journalist_login(web, account):
    journalist = web("journalist")
    page = journalist.get("/login")
    res = journalist.post("/login", {"csrf_token": page.input("csrf_token"), "username": account["username"],
                                     "password": account["password"], "token": totp(account["totp"], time.time())})
    assert res.status == 303, res.text[:500]
    return journalist


def test_a_journalist_added_on_the_server_sees_the_submission(host, layout, web, state):
    added = host.run(f"{layout['postern_bin']} journalist add --config {layout['postern_config_file']} --username ci-editor")
    assert added.rc == 0, added.stderr
    lines = [line.strip() for line in added.stdout.splitlines()]
    account = {
        "username": "ci-editor",
        "password": lines[lines.index("Passphrase (shown once; hand it over in person):") + 1],
        "totp": lines[[i for i, line in enumerate(lines) if line.startswith("Two-factor")][0] + 1].replace(" ", ""),
    }
    # Created by root, the database stays the services' (owner and group of the data dir).
    db = host.file(f"{layout['postern_data_dir']}/db.sqlite")
    assert (db.user, db.group, db.mode) == ("postern-source", "postern", 0o660)
    journalist = journalist_login(web, account)
    sources = journalist.get("/")
    assert sources.status == 200 and "/col/" in sources.text
    state["account"] = account
    # The TOTP code just used must not be replayed: the restore test waits for the next.
    state["totp_used_at"] = time.time()


def connects(host, user, addr, port):
    return host.run(f"runuser -u {user} -- timeout 4 bash -c 'exec 3<>/dev/tcp/{addr}/{port}'").rc == 0


def test_the_firewall_lets_only_the_service_users_reach_out_and_ssh_in(host, layout):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("10.77.0.1", 9001))
    listener.listen(16)
    stop = threading.Event()

    def accept():
        listener.settimeout(0.5)
        while not stop.is_set():
            try:
                listener.accept()[0].close()
            except OSError:
                pass

    threading.Thread(target=accept, daemon=True).start()
    try:
        for user in layout["postern_users"].values():
            assert connects(host, user, "10.77.0.1", 9001), f"{user} reaches a relay port"
        assert not connects(host, "nobody", "10.77.0.1", 9001), "anyone else is dropped"
        assert not connects(host, "root", "10.77.0.1", 9001), "root only reaches apt's ports"
    finally:
        stop.set()
        listener.close()
    # Inbound: SSH from the admin network, nothing else, not even a listening port.
    server = host.run("sh -c 'nohup python3 -m http.server 9999 --bind 0.0.0.0 >/dev/null 2>&1 & echo $!'").stdout.strip()
    try:
        time.sleep(1)
        for port, open_ in ((22, True), (9999, False)):
            probe = socket.socket()
            probe.settimeout(3)
            try:
                ok = probe.connect_ex(("10.77.0.2", port)) == 0
            finally:
                probe.close()
            assert ok == open_, f"port {port}"
    finally:
        host.run(f"kill {server}")
