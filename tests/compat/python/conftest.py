"""Shared set-up for the omise-python compatibility tests.

tests/compat/run starts a dispute-docs server seeded with fixtures/demo.json and passes
its address and the operator token in the environment. The official client is configured
exactly as a merchant would (module globals); everything the client cannot do (open a
dispute on a charge, resolve it as the bank) goes through plain HTTP with `requests`.
"""

import os
import pathlib
import secrets
import struct
import zlib

import omise
import pytest
import requests

BASE = os.environ["COMPAT_BASE_URL"].rstrip("/")
OPS_TOKEN = os.environ["COMPAT_OPS_TOKEN"]

KEY = "skey_test_4xs8breq3htbkj03d2x"  # demo account, test mode
KEY2 = "skey_test_5xuy4w91xqz7d1w9u0t"  # demo account, second test key
LIVE_KEY = "skey_5g5ih3pybo7v4wwrlv1"  # demo account, live mode
OTHER_KEY = "skey_test_5otheracct0key0000"  # another account

# Open demo disputes and their documents (fixtures/demo.json). Tests never change them.
DEMO_OPEN = {
    "dspt_test_5g5ih3pybo7v4wwrbjw": "docu_test_5g5iiejzhyhbfyj6kzs",
    "dspt_test_4zgf15h89w8t775kcm8": "docu_test_53f7n2a4rzvii1p8tn7",
    "dspt_test_5xuy4w91xqz7d1w9u0t": "docu_test_5xuy4w91xqz7d1w9u0t",
}

VERSIONS = ["2019-05-29", "2017-11-02"]
BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _png():
    """A real 1x1 PNG."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# Files the server's checks accept (FILES.md §2): a PNG made here, and the demo fixture's JPEG
# and PDF (fixtures/files, made by dispute_docs::files::samples and the image crate).
FILES = pathlib.Path(__file__).resolve().parents[3] / "fixtures" / "files"
PNG = _png()
JPEG = (FILES / "delivery-slip.jpg").read_bytes()
PDF = (FILES / "invoice.pdf").read_bytes()
TEXT = b"this is plain text, not evidence\n"


def new_charge_id():
    return "chrg_test_" + "".join(secrets.choice(BASE36) for _ in range(19))


def raw(method, path, key=KEY, version=None, **kwargs):
    """A plain HTTP call (no client), for what the client cannot express."""
    headers = kwargs.pop("headers", {})
    if version:
        headers["Omise-Version"] = version
    auth = (key, "") if key is not None else None
    return requests.request(method, BASE + path, auth=auth, headers=headers, timeout=30, **kwargs)


def open_dispute(amount=None, key=KEY, reason_code=None):
    """Opens a fresh `open` dispute on a brand-new test charge; returns its JSON (2019 shape)."""
    charge = new_charge_id()
    body = {}
    if amount is not None:
        body["amount"] = amount
    if reason_code is not None:
        body["reason_code"] = reason_code
    r = raw("POST", "/charges/%s/disputes" % charge, key=key, json=body, version="2019-05-29")
    assert r.status_code == 200, (r.status_code, r.text)
    d = r.json()
    assert d["object"] == "dispute", d
    assert d["id"].startswith("dspt_test_") and len(d["id"]) == len("dspt_test_") + 19, d["id"]
    assert d["status"] == "open", d
    assert d["charge"] == charge, d
    if amount is not None:
        assert d["amount"] == amount, d
    return d


def ops(path, body=None):
    r = requests.post(
        BASE + "/ops" + path,
        headers={"Authorization": "Bearer " + OPS_TOKEN},
        json=body or {},
        timeout=30,
    )
    assert r.status_code == 200, ("ops", path, r.status_code, r.text)
    return r.json()


def error_of(resp):
    """(status, code) of an error response."""
    body = resp.json()
    assert body.get("object") == "error", body
    return resp.status_code, body.get("code")


@pytest.fixture(autouse=True)
def omise_client():
    """Configure the official client as a merchant would, then restore it."""
    saved = (omise.api_secret, omise.api_main, omise.api_version)
    omise.api_secret = KEY
    omise.api_main = BASE
    omise.api_version = None
    yield omise
    omise.api_secret, omise.api_main, omise.api_version = saved


@pytest.fixture(params=VERSIONS)
def version(request, omise_client):
    """Runs the test once per API version, set the way the client sets it."""
    omise_client.api_version = request.param
    return request.param


def assert_dispute_shape(d, version):
    """d: the dict behind an omise.Dispute (its _attributes)."""
    assert d["object"] == "dispute"
    assert d["livemode"] is False
    assert d["location"] == "/disputes/" + d["id"]
    assert isinstance(d["amount"], int)
    assert d["status"] in ("open", "pending", "won", "lost")
    assert d["charge"].startswith("chrg_test_")
    assert d["documents"]["object"] == "list"
    assert d["documents"]["location"] == "/disputes/%s/documents" % d["id"]
    assert "reason_code" in d and "reason_message" in d and "message" in d and "closed_at" in d
    if version == "2017-11-02":
        assert "created" in d and "created_at" not in d, sorted(d)
        assert d["currency"] == d["currency"].lower() == "thb", d["currency"]
        assert isinstance(d["transaction"], str) and d["transaction"].startswith("trxn_test_"), d
        assert "transactions" not in d and "funding_amount" not in d and "funding_currency" not in d
    else:
        assert "created_at" in d and "created" not in d, sorted(d)
        assert d["currency"] == "THB"
        assert d["funding_currency"] == "THB" and isinstance(d["funding_amount"], int)
        assert isinstance(d["metadata"], dict)
        assert "transaction" not in d
        assert isinstance(d["transactions"], list) and d["transactions"], d
        t = d["transactions"][0]
        assert t["object"] == "transaction" and t["id"].startswith("trxn_test_")
        assert t["key"] == "dispute.started.debit" and t["direction"] == "debit"
        assert t["origin"] == d["id"] and t["location"] == "/transactions/" + t["id"]
    stamp = d["created"] if version == "2017-11-02" else d["created_at"]
    assert len(stamp) == 20 and stamp.endswith("Z") and stamp[10] == "T", stamp


def assert_document_shape(doc, version, dispute_id):
    """doc: the dict behind an omise.Document."""
    assert doc["object"] == "document"
    assert doc["id"].startswith("docu_test_") and len(doc["id"]) == len("docu_test_") + 19
    assert doc["livemode"] is False
    assert doc["location"] == "/disputes/%s/documents/%s" % (dispute_id, doc["id"])
    if version == "2017-11-02":
        assert "created" in doc and "created_at" not in doc, sorted(doc)
    else:
        assert "created_at" in doc and "created" not in doc, sorted(doc)
        assert doc["deleted"] is False
        assert doc["download_uri"].startswith(BASE + "/"), doc["download_uri"]
    # Beyond Omise, in both versions: the file's pages (checked at upload) and its preview.
    assert isinstance(doc["page_count"], int) and doc["page_count"] >= 1, doc
    assert doc["preview_uri"].startswith(BASE + "/disputes/%s/documents/" % dispute_id), doc
