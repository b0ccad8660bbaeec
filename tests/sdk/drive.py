"""Drives a running Postern through SecureDrop's own SDK (securedrop-sdk on PyPI,
its `API` class, unchanged), as SecureDrop Workstation's client does.

    drive.py FACTS_JSON TOTP_CODE WORK_DIR

FACTS_JSON is the demo's demo.json (started with --sample-data). Every step asserts
what the SDK returned; what only the Rust side can check (GnuPG decrypting the
download, the source reading the reply) is printed as JSON on the last line.
"""

import hashlib
import json
import os
import subprocess
import sys
import uuid

import requests
from sdclientapi import API, AuthError, WrongUUIDError


def sha256_of(path):
    with open(path, "rb") as f:
        return "sha256:" + hashlib.sha256(f.read()).hexdigest()


def refused(error, call, *args):
    """Asserts that the SDK raises `error` for `call(*args)`."""
    try:
        call(*args)
    except error:
        return
    raise AssertionError("{} did not raise {}".format(call.__name__, error.__name__))


def gpg(home, *args, stdin=None):
    done = subprocess.run(
        ["gpg", "--homedir", home, "--batch", "--yes", "--trust-model", "always", *args],
        input=stdin,
        capture_output=True,
        check=True,
    )
    return done.stdout


def main():
    facts_path, code, work = sys.argv[1], sys.argv[2], sys.argv[3]
    facts = json.load(open(facts_path))
    api = API(facts["journalist_url"], facts["journalist_username"], facts["journalist_password"], code)
    assert api.authenticate() is True
    assert api.token_journalist_uuid and api.token_expiration is not None

    sources = api.get_sources()
    by_uuid = {s.uuid: s for s in sources}
    samples = facts["sample_sources"]
    assert sorted(by_uuid) == sorted(s["uuid"] for s in samples), (by_uuid, samples)
    first, second, third = (by_uuid[s["uuid"]] for s in samples)
    assert first.journalist_designation == samples[0]["designation"]
    assert first.is_starred and not second.is_starred
    assert first.key["type"] == "PGP" and len(first.key["fingerprint"]) == 40
    assert (first.number_of_messages, first.number_of_documents, first.interaction_count) == (2, 1, 4)
    assert api.get_source(first).uuid == first.uuid

    submissions = api.get_all_submissions()
    assert len(submissions) == 9, len(submissions)
    replies = api.get_all_replies()
    assert len(replies) == 3
    mine = api.get_submissions(first)
    assert [m.filename.split("-")[0] for m in mine] == ["1", "2", "4"], [m.filename for m in mine]
    message, document = mine[0], mine[1]
    assert message.source_uuid == first.uuid and not message.is_file() and document.is_file()
    assert not message.is_read and message.seen_by == []
    assert api.get_submission(message).filename == message.filename

    users = api.get_users()
    me = [u for u in users if u.uuid == api.token_journalist_uuid]
    assert len(me) == 1 and me[0].username == facts["journalist_username"]
    current = api.get_current_user()
    assert current["username"] == facts["journalist_username"] and current["uuid"] == api.token_journalist_uuid

    # Downloads: the ETag is the digest of the bytes served, and a Range request resumes.
    etag, path = api.download_submission(message, work)
    assert etag == sha256_of(path), (etag, sha256_of(path))
    half = os.path.getsize(path) // 2
    rest = requests.get(
        facts["journalist_url"].rstrip("/") + "/" + "api/v1/sources/{}/submissions/{}/download".format(first.uuid, message.uuid),
        headers={**api.req_headers, "Range": "bytes={}-".format(half)},
    )
    assert rest.status_code == 206, rest.status_code
    with open(path, "rb") as f:
        assert f.read()[half:] == rest.content
    reply_list = api.get_replies_from_source(first)
    assert len(reply_list) == 1 and reply_list[0].journalist_username == facts["journalist_username"]
    reply_etag, reply_path = api.download_reply(reply_list[0], work)
    assert reply_etag == sha256_of(reply_path)
    assert api.get_reply_from_source(first, reply_list[0].uuid).uuid == reply_list[0].uuid

    # A reply the client encrypted itself, to the source's key and the submission key.
    home = os.path.join(work, "gnupg")
    os.makedirs(home, mode=0o700)
    gpg(home, "--import", stdin=first.key["public"].encode())
    gpg(home, "--import", facts["submission_public_key"])
    submission_fpr = [
        line.split(":")[9]
        for line in gpg(home, "--with-colons", "--fingerprint", "--list-keys").decode().splitlines()
        if line.startswith("fpr:") and line.split(":")[9] != first.key["fingerprint"]
    ][0]
    text = "A reply written on the workstation, encrypted by GnuPG {}".format(uuid.uuid4())
    armored = gpg(home, "--armor", "--encrypt", "-r", first.key["fingerprint"], "-r", submission_fpr, stdin=text.encode())
    chosen = str(uuid.uuid4())
    reply = api.reply_source(first, armored.decode(), reply_uuid=chosen)
    assert reply.uuid == chosen and reply.filename.startswith("5-"), (reply.uuid, reply.filename)
    assert len(api.get_replies_from_source(first)) == 2

    assert api.add_star(second) is True and api.get_source(second).is_starred
    assert api.remove_star(second) is True and not api.get_source(second).is_starred
    assert api.flag_source(first) is True

    api.seen(files=[document.uuid], messages=[message.uuid], replies=[reply_list[0].uuid])
    seen = api.get_submission(message)
    assert seen.is_read and seen.seen_by == [api.token_journalist_uuid], (seen.is_read, seen.seen_by)

    # Deleting: one submission, one source's conversation, one source.
    doomed = api.get_submissions(second)[0]
    assert api.delete_submission(doomed) is True
    refused(WrongUUIDError, api.get_submission, doomed)
    assert api.delete_conversation(second.uuid) is True
    assert api.get_submissions(second) == [] and api.get_replies_from_source(second) == []
    assert api.delete_source(third) is True
    refused(WrongUUIDError, api.get_source, third)

    token = api.token
    assert api.logout() is True
    refused(AuthError, api.get_sources)

    print(json.dumps({"download": path, "etag": etag, "source": first.uuid, "reply_text": text, "token": token}))


if __name__ == "__main__":
    main()
