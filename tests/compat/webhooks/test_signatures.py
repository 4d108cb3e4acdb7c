"""Deliveries verified by independent code, and events read through the official Python client.

One server (worker polling every 100 ms), one receiver, one endpoint for the demo account's test
mode. A dispute is opened, updated and won: each of its events (create, update, close) is
delivered once, signed with both header sets, and its body is byte for byte the payload the server
recorded. omise-python's `Event.retrieve` / `Event.list` read the events back. Then a secret
rotation: during the overlap both secrets sign. Last, every delivery the receiver got in the
module is verified, and matched one for one with the succeeded deliveries.
"""

import json

import omise
import omise.request
import pytest
from omise import errors

from conftest import ACCOUNT, EVENT_KEYS, KEY, report, verify, wait_until


@pytest.fixture(scope="module")
def stack(start_server, receiver):
    server = start_server("signatures", WEBHOOK_POLL_MS=100)
    endpoint = server.add_endpoint(receiver.url())
    return {"server": server, "receiver": receiver, "endpoint": endpoint,
            "secrets": [endpoint["secret"]], "delivered": {}}


@pytest.fixture(autouse=True)
def omise_client(stack):
    saved = (omise.api_secret, omise.api_main, omise.api_version)
    omise.api_secret, omise.api_main, omise.api_version = KEY, stack["server"].url, None
    yield omise
    omise.api_secret, omise.api_main, omise.api_version = saved


def test_the_endpoint_is_listed_without_its_secret(stack):
    server, endpoint = stack["server"], stack["endpoint"]
    r = server.ops("GET", "/accounts/%s/webhooks" % ACCOUNT)
    assert r.status_code == 200, r.text
    listed = [e for e in r.json()["data"] if e["id"] == endpoint["id"]]
    assert len(listed) == 1, r.json()
    assert listed[0]["url"] == endpoint["url"] and listed[0]["mode"] == "test"
    assert "secret" not in listed[0], listed[0]


def test_every_event_of_a_dispute_is_delivered_once_and_verifies(stack):
    server, receiver = stack["server"], stack["receiver"]
    d = server.open_dispute()
    r = server.api("PATCH", "/disputes/" + d["id"], json={"message": "tracking number 42"})
    assert r.status_code == 200 and r.json()["status"] == "pending", r.text
    r = server.ops("POST", "/disputes/%s/resolve" % d["id"], json={"outcome": "won"})
    assert r.status_code == 200, r.text

    events = server.dispute_events(d["id"])
    keys = [e["key"] for e in events]
    assert keys[0] == "dispute.create" and keys[-1] == "dispute.close", keys
    assert "dispute.update" in keys, keys
    ids = {e["id"] for e in events}

    got = receiver.wait_for(
        "every event of %s" % d["id"], lambda rs: ids <= {r.event_id for r in rs}
    )
    mine = [r for r in got if r.event_id in ids]
    assert sorted(r.event_id for r in mine) == sorted(ids), "one delivery per event"
    for r in mine:
        assert r.path == "/hooks/omise"
        event = verify(r, stack["secrets"])
        assert event["data"]["id"] == d["id"]
        stack["delivered"][event["id"]] = r

    by_id = {e["id"]: e for e in events}
    for event_id, r in stack["delivered"].items():
        event = r.json()
        listed = by_id[event_id]
        # The body is the event as the API shows it, without deliveries.
        assert {k: v for k, v in listed.items() if k != "webhook_deliveries"} == {
            k: v for k, v in event.items() if k != "webhook_deliveries"
        }
        # Once the attempt is recorded, the event shows it: the exact body sent, status 200.
        shown = wait_until(
            "the attempt at %s to be recorded" % event_id,
            lambda: server.event(event_id)["webhook_deliveries"],
        )
        assert len(shown) == 1, shown
        whdl = shown[0]
        assert whdl["object"] == "webhook_delivery" and whdl["id"].startswith("whdl_test_"), whdl
        assert whdl["uri"] == receiver.url() and whdl["status"] == 200 and whdl["error"] is None
        assert whdl["key"] == event["key"]
        assert whdl["payload"].encode() == r.body, "the recorded payload is the body received"
    statuses = [stack["delivered"][e["id"]].json()["data"]["status"] for e in events]
    assert statuses[0] == "open" and statuses[-1] == "won", statuses
    report("signatures: %d deliveries of one dispute verified (standardwebhooks + hmac)"
           % len(mine))


def test_the_python_client_retrieves_a_delivered_event(stack):
    event_id, received = next(iter(stack["delivered"].items()))
    sent = received.json()
    event = omise.Event.retrieve(event_id)
    assert isinstance(event, omise.Event)
    assert event.id == event_id and event.key == sent["key"]
    assert event.location == "/events/" + event_id and event.livemode is False
    assert isinstance(event.data, omise.Dispute)
    assert event.data.id == sent["data"]["id"] and event.data.status == sent["data"]["status"]
    assert [w["status"] for w in event.webhook_deliveries] == [200]
    event._attributes["key"] = "scribbled"
    assert event.reload() is event and event.key == sent["key"]


def test_the_python_client_lists_events_lazily_with_json_bodies(stack, monkeypatch):
    server = stack["server"]
    # More than one page of 100, so that the lazy list has to page by offset.
    total = server.api("GET", "/events", json={"limit": 1}).json()["total"]
    for _ in range(101 - total):
        server.open_dispute()
    wire = []
    real_get = omise.request.requests.get

    def spy(url, data=None, headers=None, **kwargs):
        wire.append((url, json.loads(data), headers.get("Content-Type")))
        return real_get(url, data=data, headers=headers, **kwargs)

    monkeypatch.setattr(omise.request.requests, "get", spy)
    lazy = omise.Event.list()
    total = len(lazy)
    assert total > 100, total
    events = [e for e in lazy]  # (list(lazy) would ask len() once more, as a size hint)
    assert all(isinstance(e, omise.Event) for e in events)
    ids = [e.id for e in events]
    assert len(ids) == len(set(ids)) == total
    assert set(stack["delivered"]) <= set(ids), "the delivered events are listed"
    for e in events:
        assert e.key in EVENT_KEYS, e.key
        assert isinstance(e.data, omise.Dispute) and e.data.id.startswith("dspt_test_"), e.id
    # Every call of the lazy list: GET /events, no query string, the parameters as JSON.
    nothing = {"order": None, "from": None, "to": None}
    pages = total // 100 + 1  # it stops at the first short (or empty) page
    assert wire == [(server.url + "/events", dict(limit=1, offset=0, **nothing),
                     "application/json")] + [
        (server.url + "/events", dict(limit=100, offset=100 * i, **nothing), "application/json")
        for i in range(pages)], wire

    page = omise.Event.retrieve()
    assert isinstance(page, omise.Collection) and page.location == "/events"
    assert page.offset == 0 and page.limit == 20 and page.total == total
    assert [e.id for e in page] == ids[:20]
    newest = omise.Event.list().offset(limit=3, order="reverse_chronological")
    assert [e.id for e in newest] == ids[::-1][:3]
    report("python client: Event.list() paged %d events in %d JSON-body GETs" % (total, pages))


def test_an_unknown_event_is_not_found(stack):
    with pytest.raises(errors.NotFoundError):
        omise.Event.retrieve("evnt_test_" + "0" * 19)


def test_during_a_rotation_both_secrets_sign(stack):
    server, receiver, endpoint = stack["server"], stack["receiver"], stack["endpoint"]
    # Everything so far is delivered (and so signed with the first secret alone) before the
    # rotation: whatever arrives from here on is signed during the overlap.
    wait_until("no pending delivery", lambda: not server.deliveries("pending"))
    stack["before_rotation"] = len(receiver.snapshot())
    r = server.ops("POST", "/accounts/%s/webhooks/%s/rotate" % (ACCOUNT, endpoint["id"]))
    assert r.status_code == 200, r.text
    rotated = r.json()
    assert rotated["id"] == endpoint["id"] and rotated["secret"] != endpoint["secret"]
    assert rotated["previous_secret_until"], rotated
    d = server.open_dispute()
    (event,) = server.dispute_events(d["id"])
    got = receiver.wait_for("the event of %s" % d["id"],
                            lambda rs: event["id"] in {r.event_id for r in rs})
    (delivery,) = [r for r in got if r.event_id == event["id"]]
    # New and old secrets both sign: one signature each, in both headers.
    verify(delivery, [rotated["secret"], endpoint["secret"]])
    stack["secrets"] = [rotated["secret"], endpoint["secret"]]
    report("signatures: rotation overlap verified with the new and the old secret")


def test_every_delivery_of_the_module_verifies_and_came_once(stack):
    server, receiver = stack["server"], stack["receiver"]
    wait_until("no pending delivery", lambda: not server.deliveries("pending"))
    succeeded = server.deliveries("succeeded")
    assert not server.deliveries("dead")
    got = receiver.snapshot()
    assert len(got) == len(succeeded), (len(got), len(succeeded))
    assert sorted(r.event_id for r in got) == sorted(d["event"] for d in succeeded)
    first, overlap = got[: stack["before_rotation"]], got[stack["before_rotation"]:]
    for r in first:
        verify(r, [stack["endpoint"]["secret"]])
    for r in overlap:
        verify(r, stack["secrets"])
    report("signatures: all %d deliveries verified, %d of them during the rotation overlap"
           % (len(got), len(overlap)))
