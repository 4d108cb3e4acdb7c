"""omise-python 0.16's Search API (`omise.Search.execute('dispute', ...)`) against dispute-docs,
unmodified, under Omise-Version 2019-05-29 and 2017-11-02 (SEARCH.md §6.11).

tests/compat/run starts a freshly seeded server (once on Postgres, once on the embedded SQLite
default) and passes its address and operator token. This module opens an account of its own
through /ops/ (so that its totals are exact): D1 (THB 900.00, "bad charge", pending), D2
(THB 120.50, credit_not_processed, open), D3 (JPY 5000, accepted: lost), a live dispute, and
the demo account's disputes beside them. The client builds the query string by hand
(`search/?scope=dispute&query=bad&filters[status]=open`, which `requests` re-encodes) and sends
a JSON body of `{}` with it.
"""

import os
import secrets

import omise
import pytest
import requests

BASE = os.environ["COMPAT_BASE_URL"].rstrip("/")
OPS_TOKEN = os.environ["COMPAT_OPS_TOKEN"]
VERSIONS = ["2019-05-29", "2017-11-02"]
BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def charge_id(mode="test"):
    return "chrg_%s%s" % ("test_" if mode == "test" else "", "".join(secrets.choice(BASE36) for _ in range(19)))


def ops(path, body):
    r = requests.post(BASE + "/ops" + path, headers={"Authorization": "Bearer " + OPS_TOKEN}, json=body, timeout=30)
    assert r.status_code == 200, (path, r.status_code, r.text)
    return r.json()


def call(method, path, key, body=None):
    r = requests.request(method, BASE + path, auth=(key, ""), json=body if body is not None else {}, timeout=30)
    assert r.status_code == 200, (method, path, r.status_code, r.text)
    return r.json()


@pytest.fixture(scope="module")
def shop():
    account = ops("/accounts", {"name": "Python search shop"})["id"]
    key = ops("/accounts/%s/keys" % account, {"mode": "test"})["secret"]
    d1 = call("POST", "/charges/%s/disputes" % charge_id(), key, {"amount": 90000, "currency": "THB"})["id"]
    d2 = call("POST", "/charges/%s/disputes" % charge_id(), key,
              {"amount": 12050, "currency": "THB", "reason_code": "credit_not_processed"})["id"]
    d3 = call("POST", "/charges/%s/disputes" % charge_id(), key, {"amount": 5000, "currency": "JPY"})["id"]
    call("PATCH", "/disputes/%s" % d1, key, {"message": "bad charge", "metadata": {"order": "ORD-77"}})
    call("PATCH", "/disputes/%s/accept" % d3, key)
    ops("/disputes", {"account": account, "mode": "live", "charge": charge_id("live"), "amount": 90000})
    return {"key": key, "d1": d1, "d2": d2, "d3": d3}


@pytest.fixture(params=VERSIONS)
def client(request, shop):
    """The official client, configured as a merchant would, per API version."""
    saved = (omise.api_secret, omise.api_main, omise.api_version)
    omise.api_secret, omise.api_main, omise.api_version = shop["key"], BASE, request.param
    yield request.param
    omise.api_secret, omise.api_main, omise.api_version = saved


def ids(search):
    return [d.id for d in search]


def test_a_query_finds_the_dispute_that_says_it(client, shop):
    search = omise.Search.execute("dispute", query="bad")
    assert isinstance(search, omise.Search)
    assert len(search) == 1 and search.total == 1 and search.total_pages == 1
    found = search[0]
    assert isinstance(found, omise.Dispute)
    assert found.id == shop["d1"] and found.message == "bad charge"
    assert search.scope == "dispute" and search.query == "bad" and search.location == "/search"
    assert search.order == "chronological" and search.page == 1 and search.per_page == 30
    assert search._attributes["filters"] == {}
    if client == "2017-11-02":
        assert "export" not in search._attributes
        assert found.currency == "thb" and "created" in found._attributes and "transaction" in found._attributes
    else:
        assert search.export is None and search.aggregate_level is None
        assert found.currency == "THB" and "created_at" in found._attributes
    # A metadata value, in another case.
    assert ids(omise.Search.execute("dispute", query="ord-77")) == [shop["d1"]]


def test_filters_go_in_brackets_and_booleans_as_python_writes_them(client, shop):
    search = omise.Search.execute("dispute", filters={"status": "open"})
    assert ids(search) == [shop["d2"]]
    assert search._attributes["filters"] == {"status": "open"}
    assert ids(omise.Search.execute("dispute", filters={"reason_code": "credit_not_processed"})) == [shop["d2"]]
    assert ids(omise.Search.execute("dispute", filters={"amount": "100..1000", "currency": "thb"})) == [shop["d1"], shop["d2"]]
    assert ids(omise.Search.execute("dispute", filters={"amount": "5000"})) == [shop["d3"]]
    # `True`/`False` with a capital letter, as str() writes them.
    everything = omise.Search.execute("dispute", filters={"delayed": False})
    assert ids(everything) == [shop["d1"], shop["d2"], shop["d3"]]
    assert everything._attributes["filters"] == {"delayed": "False"}
    assert ids(omise.Search.execute("dispute", filters={"delayed": True})) == []
    assert ids(omise.Search.execute("dispute", query="bad", filters={"status": "pending"})) == [shop["d1"]]


def test_pages_and_order(client, shop):
    page = omise.Search.execute("dispute", per_page=1, page=2, order="reverse_chronological")
    assert ids(page) == [shop["d2"]] and page.total == 3 and page.total_pages == 3 and page.page == 2
    beyond = omise.Search.execute("dispute", per_page=1, page=999)
    assert ids(beyond) == [] and beyond.total == 3 and beyond.page == 999


def test_refusals_raise_the_clients_error_with_the_servers_message(client, shop):
    for scope, options, words in [
        ("charge", {}, "scope charge"),
        ("dispute", {"filters": {"colour": "red"}}, "unknown filter colour"),
        ("dispute", {"per_page": 101}, "per_page"),
    ]:
        with pytest.raises(omise.errors.BaseError) as raised:
            omise.Search.execute(scope, **options)
        assert words in str(raised.value)
