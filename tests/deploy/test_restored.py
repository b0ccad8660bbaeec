"""After backup.yml, the disaster (data, secrets and onion keys gone, site.yml making a
fresh instance) and restore.yml: the earlier submission is listed and decrypts, the
codename still logs in, and so does the journalist."""

import re
import time

import pytest

from test_runtime import MESSAGE, gpg_decrypt, journalist_login

pytestmark = [pytest.mark.restored, pytest.mark.needs_systemd]


def test_both_services_run_after_the_restore(host):
    for role in ("source", "journalist"):
        assert host.service(f"postern-{role}").is_running, role


def test_the_codename_still_logs_in(web, state):
    source = web("source")
    page = source.get("/login")
    res = source.post("/login", {"csrf_token": page.input("csrf_token"), "codename": state["codename"]})
    assert res.status == 303 and res.headers["location"] == "/lookup", res.text[:300]
    assert source.get("/lookup").status == 200


def test_the_submission_is_listed_and_decrypts(web, state):
    # A TOTP code works once: wait for a step the earlier login did not use.
    wait = 31 - (time.time() - state["totp_used_at"])
    if wait > 0:
        time.sleep(wait)
    journalist = journalist_login(web, state["account"])
    sources = journalist.get("/")
    collection = re.search(r'href="(/col/[0-9a-f-]{36})"', sources.text).group(1)
    page = journalist.get(collection)
    assert state["message_file"] in page.text
    download = journalist.get(f"{collection}/{state['message_file']}")
    assert download.status == 200
    assert gpg_decrypt(download.body).decode() == MESSAGE
