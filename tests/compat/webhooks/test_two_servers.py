"""Two server processes on one Postgres database, both serving and both delivering
(WEBHOOK_POLL_MS=50): deliveries are claimed with a lease (FOR UPDATE SKIP LOCKED), so each event
reaches the endpoint once. At-least-once allows a second send only when a process dies between
sending and recording, or a lease runs out (the default lease is the 10 s time-out plus a
minute); neither happens here, so any duplicate is a double claim and fails the test."""

import collections
import concurrent.futures

import pytest

from conftest import report, verify, wait_until

DISPUTES = 30


@pytest.fixture(scope="module")
def stack(start_server, receiver):
    a = start_server("a", WEBHOOK_POLL_MS=50)
    b = start_server("b", WEBHOOK_POLL_MS=50)
    endpoint = a.add_endpoint(receiver.url("/hooks/shared"))
    receiver.senders = {"a": a.proc.pid, "b": b.proc.pid}
    return {"servers": [a, b], "receiver": receiver, "secret": endpoint["secret"]}


def test_two_servers_deliver_every_event_once(stack):
    a, b = stack["servers"]
    receiver = stack["receiver"]
    # The endpoint added through one process is seen by the other.
    r = b.ops("GET", "/accounts/acct_5demomerchant000000/webhooks")
    assert [e["url"] for e in r.json()["data"]] == [receiver.url("/hooks/shared")], r.text

    # Opened through alternating servers, a few at a time, so that both workers find several
    # due deliveries on the same passes.
    def open_one(i):
        server = (a, b)[i % 2]
        d = server.open_dispute()
        (event,) = server.dispute_events(d["id"])
        return event["id"], d["id"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        events = dict(pool.map(open_one, range(DISPUTES)))
    assert len(events) == DISPUTES

    receiver.wait_for("all %d events" % DISPUTES,
                      lambda rs: set(events) <= {r.event_id for r in rs}, timeout=30)
    # Every delivery is recorded as succeeded (the attempt is written after the response).
    wait_until("every delivery to be recorded",
               lambda: len(a.deliveries("succeeded")) == DISPUTES, timeout=15)
    assert a.deliveries("pending") == [] and a.deliveries("dead") == []

    got = receiver.snapshot()
    counts = collections.Counter(r.event_id for r in got)
    duplicates = sum(n - 1 for n in counts.values())
    report("two servers: %d events, %d requests received, %d duplicate(s) (same webhook-id twice)"
           % (len(events), len(got), duplicates))
    assert set(counts) == set(events), "only these events, every one of them"
    assert duplicates == 0, {k: n for k, n in counts.items() if n > 1}
    for r in got:
        event = verify(r, [stack["secret"]])
        assert event["data"]["id"] == events[event["id"]]

    # Each succeeded delivery: exactly one attempt, status 200; both processes agree.
    for server in (a, b):
        succeeded = server.deliveries("succeeded")
        assert sorted(x["event"] for x in succeeded) == sorted(events)
        for x in succeeded:
            assert [at["status"] for at in x["attempts"]] == [200], x
    # Which process sent what (looked up in /proc while each request's connection was open):
    # reported, not asserted.
    senders = collections.Counter(r.sender or "unknown" for r in got)
    report("two servers: sent by a %d, by b %d, unknown %d"
           % (senders["a"], senders["b"], senders["unknown"]))
