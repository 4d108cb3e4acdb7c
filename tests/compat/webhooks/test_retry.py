"""Retries: a receiver that answers 500 and then recovers gets the event on the next attempt
(WEBHOOK_RETRY_SCHEDULE=1,1,1: about a second between attempts), and the event shows both
attempts; a receiver that never recovers makes the delivery dead once the schedule runs out,
and the operator's redelivery sends it again."""

import pytest

from conftest import report, verify, wait_until


@pytest.fixture(scope="module")
def stack(start_server, receiver):
    server = start_server("retry", WEBHOOK_POLL_MS=100, WEBHOOK_RETRY_SCHEDULE="1,1,1")
    endpoint = server.add_endpoint(receiver.url("/hooks/flaky"))
    return {"server": server, "receiver": receiver, "secret": endpoint["secret"]}


def delivery_of(server, event_id, state=None):
    """The event's one delivery (in `state`, if given), or None."""
    found = [d for d in server.deliveries() if d["event"] == event_id]
    assert len(found) <= 1, found
    if found and (state is None or found[0]["state"] == state):
        return found[0]
    return None


def attempts_shown(server, event_id, count):
    """GET /events/{id}'s webhook_deliveries once it shows `count` attempts, else None."""
    shown = server.event(event_id)["webhook_deliveries"]
    return shown if len(shown) == count else None


def test_a_500_then_a_200_delivers_and_the_event_shows_both_attempts(stack):
    server, receiver = stack["server"], stack["receiver"]
    receiver.answer(500)
    d = server.open_dispute()
    (event,) = server.dispute_events(d["id"])
    got = receiver.wait_for("two attempts at %s" % event["id"],
                            lambda rs: len([r for r in rs if r.event_id == event["id"]]) >= 2)
    attempts = [r for r in got if r.event_id == event["id"]]
    assert [r.answered for r in attempts] == [500, 200]
    for r in attempts:
        assert r.path == "/hooks/flaky"
        verify(r, [stack["secret"]])
    # The same event, byte for byte, under the same webhook-id; re-signed at its own time.
    assert attempts[0].body == attempts[1].body
    gap = attempts[1].at - attempts[0].at
    # The schedule says 1 s ± 20 %, counted from just before the first send.
    assert 0.5 <= gap <= 5, "about a second between attempts, got %.2f s" % gap

    shown = wait_until("the event to show two attempts",
                       lambda: attempts_shown(server, event["id"], 2))
    assert [w["status"] for w in shown] == [500, 200], shown
    assert all(w["payload"].encode() == attempts[0].body for w in shown)
    assert len({w["id"] for w in shown}) == 2, shown
    delivery = delivery_of(server, event["id"], "succeeded")
    assert delivery, server.deliveries()
    assert [a["status"] for a in delivery["attempts"]] == [500, 200], delivery
    report("retry: 500 then 200, %.2f s apart; GET /events/{id} shows both" % gap)


def test_a_receiver_that_never_recovers_makes_a_dead_delivery_which_redelivery_revives(stack):
    server, receiver = stack["server"], stack["receiver"]
    receiver.answer(500, 503, 500, 502)  # the first attempt and the schedule's three retries
    d = server.open_dispute()
    (event,) = server.dispute_events(d["id"])
    dead = wait_until("the delivery to be dead",
                      lambda: delivery_of(server, event["id"], "dead"), timeout=20)
    assert [a["status"] for a in dead["attempts"]] == [500, 503, 500, 502], dead
    assert event["id"] in [x["event"] for x in server.deliveries("dead")]
    assert len(receiver.of_event(event["id"])) == 4
    shown = attempts_shown(server, event["id"], 4)
    assert shown and [w["status"] for w in shown] == [500, 503, 500, 502], shown

    r = server.ops("POST", "/deliveries/%s/redeliver" % dead["id"])
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "pending", r.json()
    done = wait_until("the redelivery to succeed",
                      lambda: delivery_of(server, event["id"], "succeeded"))
    assert [a["status"] for a in done["attempts"]] == [500, 503, 500, 502, 200], done
    attempts = receiver.of_event(event["id"])
    assert [r.answered for r in attempts] == [500, 503, 500, 502, 200]
    for r in attempts:
        verify(r, [stack["secret"]])
    report("retry: dead after 4 attempts, redelivered once by the operator")
