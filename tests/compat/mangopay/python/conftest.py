"""Shared set-up for the Mangopay Python SDK compatibility tests.

tests/compat/run starts a dispute-docs server seeded with fixtures/demo.json and passes its
address and operator token in the environment. The official SDK (mangopay4-python-sdk 4.2.0,
unmodified) is pointed at it as MANGOPAY.md section 1 shows: an APIRequest handler with the
base URL ending in `/v2.01/`, passed as `handler=` on every class-level call. The module
globals are set to the same server too: the default handler (memoized on first use) is what
`IdempotencyResponse.get` and model methods called without a handler use.

The SDK caches OAuth tokens process-wide (a class-level dict keyed by ClientId + base URL +
API key): every handler of these tests shares one token per ClientId, for the whole run.

Everything the SDK cannot do (open a dispute, reopen or decide it as the bank, fetch a consult
link) goes through plain HTTP with `requests`.
"""

import base64
import os
import pathlib
import secrets

import mangopay
import pytest
import requests
from mangopay import APIRequest
from mangopay.signals import request_finished

BASE = os.environ["COMPAT_BASE_URL"].rstrip("/")
OPS_TOKEN = os.environ["COMPAT_OPS_TOKEN"]
API_URL = BASE + "/v2.01/"

CLIENT_ID = "dispute-docs-demo"
API_KEY = "demo_api_key_5g5ih3pybo7v4wwrbjw"
OTHER_CLIENT_ID = "other-demo"
OTHER_API_KEY = "other_api_key_5otheracct0000000"
ACCOUNT = "acct_5demomerchant000000"
OMISE_KEY = "skey_test_4xs8breq3htbkj03d2x"

FILES = pathlib.Path(__file__).resolve().parents[4] / "fixtures" / "files"
PNG = (FILES / "receipt.png").read_bytes()
JPG = (FILES / "delivery-slip.jpg").read_bytes()
SMALL_PDF = (FILES / "invoice.pdf").read_bytes()[:512]  # under the 1,024-byte minimum of a page
TEXT = b"plain text, not evidence. " * 80  # 2,080 bytes of no accepted type

# The demo account's test-mode disputes (fixtures/demo.json) in Mangopay's words:
# id -> (charge, amount, Status, ResultCode, DisputeReasonType)
DEMO = {
    "dspt_test_5g5ih3pybo7v4wwrbjw": ("chrg_test_5demochrg0100000000", 100000, "PENDING_CLIENT_ACTION", "", "PRODUCT_NOT_PROVIDED"),
    "dspt_test_4zgf15h89w8t775kcm8": ("chrg_test_5demochrg0200000000", 250000, "PENDING_CLIENT_ACTION", "", "PRODUCT_UNACCEPTABLE"),
    "dspt_test_5xuy4w91xqz7d1w9u0t": ("chrg_test_5demochrg0300000000", 90000, "PENDING_CLIENT_ACTION", "", "REFUND_NOT_PROCESSED"),
    "dspt_test_5demoopen4000000000": ("chrg_test_5demochrg0400000000", 45000, "PENDING_CLIENT_ACTION", "", "DUPLICATE"),
    "dspt_test_5demoopen5000000000": ("chrg_test_5demochrg0500000000", 120000, "PENDING_CLIENT_ACTION", "", "AUTHORISATION_DISPUTED"),
    "dspt_test_5demopend6000000000": ("chrg_test_5demochrg0600000000", 75000, "SUBMITTED", "", "PRODUCT_NOT_PROVIDED"),
    "dspt_test_5demopend7000000000": ("chrg_test_5demochrg0700000000", 30000, "SUBMITTED", "", "OTHER"),
    "dspt_test_5demopend8000000000": ("chrg_test_5demochrg0800000000", 210000, "SUBMITTED", "", "OTHER"),
    "dspt_test_5demowon90000000000": ("chrg_test_5demochrg0900000000", 150000, "CLOSED", "WON", "TRANSACTION_NOT_RECOGNIZED"),
    "dspt_test_5demowon10000000000": ("chrg_test_5demochrg1000000000", 60000, "CLOSED", "WON", "CANCELED_REOCCURING_TRANSACTION"),
    "dspt_test_5demolost1100000000": ("chrg_test_5demochrg1100000000", 80000, "CLOSED", "LOST", "OTHER"),
    "dspt_test_5demolost1200000000": ("chrg_test_5demochrg1200000000", 99000, "CLOSED", "LOST", "OTHER"),
}
NOT_VISIBLE = ["dspt_5demolive1000000000", "dspt_5demolive2000000000", "dspt_test_5otheracct100000000"]
# Omise uploads of the demo data: one-page CREATED documents. id -> (dispute, Type, file)
DEMO_DOCS = {
    "docu_test_5g5iiejzhyhbfyj6kzs": ("dspt_test_5g5ih3pybo7v4wwrbjw", "INVOICE", "receipt.png"),
    "docu_test_53f7n2a4rzvii1p8tn7": ("dspt_test_4zgf15h89w8t775kcm8", "DELIVERY_PROOF", "delivery-slip.jpg"),
    "docu_test_5xuy4w91xqz7d1w9u0t": ("dspt_test_5xuy4w91xqz7d1w9u0t", "INVOICE", "invoice.pdf"),
}
UNKNOWN_DISPUTE = "dspt_test_" + "0" * 19
UNKNOWN_DOCUMENT = "docu_test_" + "0" * 19

BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"

# The default handler: the same server and credentials.
mangopay.client_id = CLIENT_ID
mangopay.apikey = API_KEY
mangopay.api_sandbox_url = API_URL
mangopay.sandbox = True


def b64(data):
    return base64.b64encode(data).decode("ascii")


def new_charge_id():
    return "chrg_test_" + "".join(secrets.choice(BASE36) for _ in range(19))


def ops(path, body=None):
    r = requests.post(
        BASE + "/ops" + path,
        headers={"Authorization": "Bearer " + OPS_TOKEN},
        json=body or {},
        timeout=30,
    )
    assert r.status_code == 200, ("ops", path, r.status_code, r.text)
    return r.json()


def open_dispute(amount=50000, **extra):
    """A fresh dispute of the demo account (operator API); its id."""
    body = {"account": ACCOUNT, "mode": "test", "charge": new_charge_id(), "amount": amount, "currency": "THB"}
    body.update(extra)
    d = ops("/disputes", body)
    assert d["status"] == "open", d
    return d["id"]


def omise_status(dispute_id):
    """The dispute's status as the Omise dialect shows it."""
    r = requests.get(BASE + "/disputes/" + dispute_id, auth=(OMISE_KEY, ""), timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["status"]


def make_handler(client_id=CLIENT_ID, apikey=API_KEY):
    return APIRequest(client_id=client_id, apikey=apikey, api_sandbox_url=API_URL, sandbox=True)


@pytest.fixture(scope="session")
def h():
    """The demo ClientId's handler, as MANGOPAY.md section 1 shows."""
    return make_handler()


class Wire:
    """What the SDK sent and what it got back: (method, url, body, status), in order."""

    def __init__(self):
        self.calls = []

    def __call__(self, sender=None, **kw):
        self.calls.append((kw.get("method"), kw.get("url"), kw.get("data"), kw["result"].status_code))

    def last(self):
        assert self.calls, "the SDK sent nothing"
        return self.calls[-1]

    def clear(self):
        self.calls.clear()


@pytest.fixture
def wire():
    w = Wire()
    request_finished.connect(w)
    yield w
    request_finished.disconnect(w)


def assert_error(exc, status, type_):
    """exc: a mangopay.exceptions.APIError raised by the SDK."""
    assert exc.code == status, (exc.code, exc.content)
    body = exc.content
    assert isinstance(body, dict), body
    for k in ("Message", "Type", "Id", "Date", "errors"):
        assert k in body, body
    assert body["Type"] == type_, body
    assert isinstance(body["Date"], int), body
    return body
