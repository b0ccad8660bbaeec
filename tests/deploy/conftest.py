"""Fixtures of the deployment tests: the deployed layout (from the playbooks' own
vars file), the site values the runner wrote, and HTTP clients that reach the
container's loopback through its network namespace."""

import json
import os
import pathlib
import re
import subprocess
import tempfile
import urllib.parse

import pytest
import testinfra.backend
import yaml

testinfra.backend.BACKENDS["nsenter"] = "nsenter_backend.NsenterBackend"

REPO = pathlib.Path(__file__).resolve().parents[2]
WORK = pathlib.Path(os.environ.get("POSTERN_DEPLOY_WORK", "/nonexistent"))


@pytest.fixture(scope="session")
def layout():
    """The server's paths and users: ansible/vars/postern.yml."""
    return yaml.safe_load((REPO / "ansible/vars/postern.yml").read_text())


@pytest.fixture(scope="session")
def site():
    """The site values the runner wrote."""
    return yaml.safe_load((WORK / "site-vars.yml").read_text())


@pytest.fixture(scope="session")
def state():
    """Facts one stage leaves for the next (the source's codename, an account)."""
    path = WORK / "state.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    yield data
    path.write_text(json.dumps(data))


class Response:
    def __init__(self, raw):
        head, _, body = raw.partition(b"\r\n\r\n")
        # curl -i prints every response head (a 100 Continue first, say): keep the last.
        while body.startswith(b"HTTP/"):
            head, _, body = body.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.body = body
        self.text = body.decode("utf-8", "replace")

    def input(self, name):
        match = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), self.text)
        assert match, f"no {name} field in the page"
        return match.group(1)


class Web:
    """curl, in the container's network namespace, with a cookie jar."""

    def __init__(self, leader, addr):
        self.leader = leader
        self.base = f"http://{addr}"
        self.jar = tempfile.NamedTemporaryFile(prefix="postern-jar-", delete=False).name

    def request(self, method, path, form=None, parts=None, host=None):
        args = ["nsenter", "--target", str(self.leader), "--net", "curl", "-sS", "-i", "--max-time", "60",
                "-b", self.jar, "-c", self.jar, "-X", method]
        if host:
            args += ["-H", f"Host: {host}"]
        for name, value in (form or {}).items():
            args += ["--data-urlencode", f"{name}={value}"]
        for name, value in parts or []:
            args += ["-F", f"{name}={value}"]
        args.append(self.base + path)
        out = subprocess.run(args, capture_output=True, check=True)
        return Response(out.stdout)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, form=None, parts=None):
        return self.request("POST", path, form=form, parts=parts)


@pytest.fixture
def web(host, layout):
    """Factory: a fresh client of the source or journalist interface."""
    leader = host.backend.leader
    return lambda role: Web(leader, layout["postern_listen"][role])


def totp(secret_b32, at):
    """RFC 6238 with SHA-1, 30 s, 6 digits, as authenticator apps compute it."""
    import base64
    import hashlib
    import hmac
    import struct

    key = base64.b32decode(secret_b32.replace(" ", "").upper() + "=" * (-len(secret_b32.replace(" ", "")) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def urlencode(text):
    return urllib.parse.quote(text, safe="")
