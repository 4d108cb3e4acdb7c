"""A SIGKILL between a change and its delivery loses nothing: the event is in the outbox, written
in the change's own transaction, and the next process delivers it, once.

The first server polls every 10 minutes (WEBHOOK_POLL_MS=600000): its worker passes once at
start-up, then sleeps, so a dispute opened afterwards stays pending. It is killed with SIGKILL,
and a new process on the same database, polling normally, delivers the event."""

from datetime import datetime, timezone

import pytest

from conftest import report, verify, wait_until


@pytest.fixture(scope="module")
def stack(start_server, receiver):
    return {"start": start_server, "receiver": receiver}


def test_an_event_pending_at_a_sigkill_is_delivered_once_after_the_restart(stack):
    receiver = stack["receiver"]
    server = stack["start"]("crash", WEBHOOK_POLL_MS=600000)
    endpoint = server.add_endpoint(receiver.url("/hooks/after-crash"))
    d = server.open_dispute()
    (event,) = server.dispute_events(d["id"])
    assert event["key"] == "dispute.create"

    # Due, and not sent: the worker is asleep for ten minutes.
    (pending,) = server.deliveries("pending")
    assert pending["event"] == event["id"] and pending["attempts"] == [], pending
    assert datetime.fromisoformat(pending["next_attempt_at"]) <= datetime.now(timezone.utc)
    server.kill()
    assert receiver.snapshot() == [], "nothing was delivered before the kill"

    server.start(WEBHOOK_POLL_MS=200)
    receiver.wait_for("the event after the restart",
                      lambda rs: event["id"] in {r.event_id for r in rs})
    done = wait_until("the delivery to be recorded as succeeded",
                      lambda: [x for x in server.deliveries("succeeded")
                               if x["event"] == event["id"]])
    assert len(done) == 1 and len(done[0]["attempts"]) == 1, done
    assert server.deliveries("pending") == [] and server.deliveries("dead") == []
    got = receiver.snapshot()
    assert [r.event_id for r in got] == [event["id"]], "delivered once"
    delivered = verify(got[0], [endpoint["secret"]])
    assert delivered["data"]["id"] == d["id"] and delivered["data"]["status"] == "open"
    assert delivered == {k: v for k, v in server.event(event["id"]).items()
                         if k != "webhook_deliveries"} | {"webhook_deliveries": []}
    report("crash: the event opened before a SIGKILL arrived once, from the next process")
