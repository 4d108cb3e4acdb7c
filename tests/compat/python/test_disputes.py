"""Every dispute call of the official omise-python client (0.16), against dispute-docs."""

import omise
import pytest
from omise import errors

from conftest import (
    DEMO_OPEN,
    KEY2,
    LIVE_KEY,
    OTHER_KEY,
    assert_dispute_shape,
    error_of,
    new_charge_id,
    open_dispute,
    ops,
    raw,
)

MANY = 105  # more than one page of 100


@pytest.fixture(scope="module")
def many_disputes():
    """Opens MANY fresh disputes, so the listing spans more than one page of 100."""
    return [open_dispute(amount=1000 + i)["id"] for i in range(MANY)]


def test_retrieve_returns_the_demo_dispute_with_its_document(version):
    dispute_id = "dspt_test_5g5ih3pybo7v4wwrbjw"
    d = omise.Dispute.retrieve(dispute_id)
    assert isinstance(d, omise.Dispute)
    assert d.id == dispute_id
    assert d.status == "open"
    assert_dispute_shape(d._attributes, version)
    docs = d.documents
    assert isinstance(docs, omise.Collection)
    assert DEMO_OPEN[dispute_id] in [doc.id for doc in docs]
    doc = docs.retrieve(DEMO_OPEN[dispute_id])
    assert isinstance(doc, omise.Document) and doc.id == DEMO_OPEN[dispute_id]
    assert [x.id for x in docs.retrieve()] == [x.id for x in docs]
    assert isinstance(docs[0], omise.Document) and docs[0].id == docs.retrieve()[0].id
    assert doc.location == "/disputes/%s/documents/%s" % (dispute_id, doc.id)


def test_retrieve_without_version_header_uses_the_2019_shape(omise_client):
    omise_client.api_version = None
    d = omise.Dispute.retrieve("dspt_test_4zgf15h89w8t775kcm8")
    assert d.id == "dspt_test_4zgf15h89w8t775kcm8"
    assert_dispute_shape(d._attributes, "2019-05-29")


def test_retrieve_of_each_demo_open_dispute_lists_its_document(version):
    for dispute_id, document_id in DEMO_OPEN.items():
        d = omise.Dispute.retrieve(dispute_id)
        assert d.id == dispute_id and d.status == "open"
        assert document_id in [doc.id for doc in d.documents]


def test_reload_refetches_the_dispute(version):
    d = omise.Dispute.retrieve("dspt_test_4zgf15h89w8t775kcm8")
    d._attributes["status"] = "scribbled"
    assert d.reload() is d
    assert d.status == "open" and d.id == "dspt_test_4zgf15h89w8t775kcm8"
    assert_dispute_shape(d._attributes, version)


def test_retrieve_of_an_unknown_dispute_raises_not_found(version):
    with pytest.raises(errors.NotFoundError):
        omise.Dispute.retrieve("dspt_test_" + "0" * 19)


def test_retrieve_with_no_id_returns_the_first_page_of_all_disputes(version):
    page = omise.Dispute.retrieve()
    assert isinstance(page, omise.Collection)
    assert page.object == "list" and page.location == "/disputes"
    assert page.offset == 0 and page.limit == 20
    assert 1 <= len(page) <= 20 and page.total >= 12
    ids = [d.id for d in page]
    assert len(set(ids)) == len(ids)
    for d in page:
        assert isinstance(d, omise.Dispute)
        assert_dispute_shape(d._attributes, version)


@pytest.mark.parametrize("status", ["open", "pending", "closed"])
def test_retrieve_with_status_returns_that_status_list(version, status):
    page = omise.Dispute.retrieve(status=status)
    assert isinstance(page, omise.Collection)
    assert page.location == "/disputes/" + status
    assert len(page) >= 1, "demo data has disputes in every status"
    allowed = ("won", "lost") if status == "closed" else (status,)
    for d in page:
        assert d.status in allowed, (d.id, d.status)


def test_list_iterates_every_dispute_exactly_once_across_pages(version, many_disputes):
    seen = [d.id for d in omise.Dispute.list()]
    assert len(seen) == len(set(seen)), "an id was returned twice"
    assert len(seen) >= MANY + 12
    missing = set(many_disputes) - set(seen)
    assert not missing, "not listed: %s" % sorted(missing)[:5]
    for dispute_id in DEMO_OPEN:
        assert dispute_id in seen
    assert all(i.startswith("dspt_test_") for i in seen)
    # len() asks for one item and reads `total`
    assert len(omise.Dispute.list()) == len(seen)


def test_list_is_chronological_by_default(version, many_disputes):
    seen = [d.id for d in omise.Dispute.list()]
    positions = [seen.index(i) for i in many_disputes]
    assert positions == sorted(positions), "disputes created one after another must list in that order"


def test_list_items_are_full_dispute_objects(version, many_disputes):
    by_id = {d.id: d for d in omise.Dispute.list()}
    for i, dispute_id in enumerate(many_disputes[:3] + many_disputes[-3:]):
        d = by_id[dispute_id]
        assert isinstance(d, omise.Dispute)
        assert_dispute_shape(d._attributes, version)
    assert by_id[many_disputes[0]].amount == 1000
    assert by_id[many_disputes[-1]].amount == 1000 + MANY - 1


def test_lazy_offset_pages_with_limit_offset_and_order(version, many_disputes):
    lazy = omise.Dispute.list()
    first10 = [d.id for d in lazy.offset(limit=10, offset=0, order="reverse_chronological")]
    assert len(first10) == 10
    window = [d.id for d in lazy.offset(limit=5, offset=2, order="reverse_chronological")]
    assert window == first10[2:7]
    # newer disputes come first in reverse order, older first by default
    rev = [d.id for d in lazy.offset(limit=100, offset=0, order="reverse_chronological")]
    assert len(rev) == 100 and len(set(rev)) == 100
    assert rev.index(many_disputes[-1]) < rev.index(many_disputes[-2]) < rev.index(many_disputes[-3])
    chrono = [d.id for d in lazy.offset(limit=3, offset=0)]
    assert len(chrono) == 3 and many_disputes[-1] not in chrono
    assert [d.id for d in lazy.offset(limit=3, offset=0, order="chronological")] == chrono


def test_list_open_disputes_yields_only_open_ones(version, many_disputes):
    seen = []
    for d in omise.Dispute.list_open_disputes():
        assert d.status == "open", (d.id, d.status)
        assert d.closed_at is None
        seen.append(d.id)
    assert len(seen) == len(set(seen))
    assert set(DEMO_OPEN) <= set(seen)
    assert set(many_disputes) <= set(seen)


def test_list_pending_disputes_yields_only_pending_ones(version):
    d = open_dispute()
    omise.Dispute.retrieve(d["id"]).update(message="evidence follows")
    seen = []
    for item in omise.Dispute.list_pending_disputes():
        assert item.status == "pending", (item.id, item.status)
        seen.append(item.id)
    assert d["id"] in seen
    assert not set(DEMO_OPEN) & set(seen)
    assert len(seen) >= 2, "demo data has pending disputes too"


def test_list_closed_disputes_yields_won_and_lost(version):
    won = open_dispute()
    omise.Dispute.retrieve(won["id"]).update(message="please rule")
    ops("/disputes/%s/resolve" % won["id"], {"outcome": "won"})
    lost = open_dispute()
    omise.Dispute.retrieve(lost["id"]).accept()
    statuses = {}
    for d in omise.Dispute.list_closed_disputes():
        assert d.status in ("won", "lost"), (d.id, d.status)
        assert d.closed_at is not None, d.id
        statuses[d.id] = d.status
    assert statuses.get(won["id"]) == "won"
    assert statuses.get(lost["id"]) == "lost"
    assert not set(DEMO_OPEN) & set(statuses)


def test_update_with_kwargs_sets_message_and_metadata_and_pending(version):
    dispute_id = open_dispute()["id"]
    d = omise.Dispute.retrieve(dispute_id)
    metadata = {"order_id": "A-1001", "nested": {"note": "signed by customer"}}
    returned = d.update(message="Proof of delivery attached", metadata=metadata)
    assert returned is d
    assert d.id == dispute_id
    assert d.status == "pending"
    assert d.message == "Proof of delivery attached"
    assert d.closed_at is None
    assert_dispute_shape(d._attributes, version)
    if version != "2017-11-02" or "metadata" in d._attributes:
        assert d._attributes["metadata"] == metadata
    again = omise.Dispute.retrieve(dispute_id)
    assert again.status == "pending" and again.message == "Proof of delivery attached"
    if "metadata" in again._attributes:
        assert again._attributes["metadata"] == metadata


def test_update_sends_attributes_changed_on_the_object(version):
    dispute_id = open_dispute()["id"]
    d = omise.Dispute.retrieve(dispute_id)
    d.message = "Set as an attribute"
    d.update()
    assert d.status == "pending"
    assert d.message == "Set as an attribute"
    assert d.changes == {}


def test_update_of_a_dispute_that_is_not_open_raises(version):
    dispute_id = open_dispute()["id"]
    d = omise.Dispute.retrieve(dispute_id)
    d.update(message="first")
    with pytest.raises(errors.BaseError) as info:
        omise.Dispute.retrieve(dispute_id).update(message="second")
    assert type(info.value) is errors.BaseError and str(info.value)
    status, code = error_of(raw("PATCH", "/disputes/" + dispute_id, json={"message": "third"}))
    assert (status, code) == (422, "dispute_not_open")
    assert omise.Dispute.retrieve(dispute_id).message == "first"


def test_update_without_message_is_a_bad_request(version):
    dispute_id = open_dispute()["id"]
    with pytest.raises(errors.BaseError):
        omise.Dispute.retrieve(dispute_id).update(metadata={"a": "b"})
    status, code = error_of(raw("PATCH", "/disputes/" + dispute_id, json={"metadata": {"a": "b"}}))
    assert (status, code) == (400, "bad_request")
    assert omise.Dispute.retrieve(dispute_id).status == "open"


def test_accept_closes_the_dispute_as_lost(version):
    dispute_id = open_dispute()["id"]
    d = omise.Dispute.retrieve(dispute_id)
    returned = d.accept()
    assert returned is d
    assert d.id == dispute_id
    assert d.status == "lost"
    assert d.closed_at is not None and d.closed_at.endswith("Z")
    assert d.message == "Merchant accepts the dispute"
    assert_dispute_shape(d._attributes, version)
    assert omise.Dispute.retrieve(dispute_id).status == "lost"
    with pytest.raises(errors.BaseError):
        d.accept()
    status, code = error_of(raw("PATCH", "/disputes/%s/accept" % dispute_id))
    assert (status, code) == (422, "dispute_not_open")


def test_accept_of_a_pending_dispute_raises(version):
    dispute_id = open_dispute()["id"]
    d = omise.Dispute.retrieve(dispute_id)
    d.update(message="contesting")
    with pytest.raises(errors.BaseError):
        d.accept()
    assert omise.Dispute.retrieve(dispute_id).status == "pending"


def test_won_dispute_has_a_credit_transaction(omise_client):
    omise_client.api_version = "2019-05-29"
    dispute_id = open_dispute(amount=4321)["id"]
    omise.Dispute.retrieve(dispute_id).update(message="contesting")
    ops("/disputes/%s/resolve" % dispute_id, {"outcome": "won"})
    d = omise.Dispute.retrieve(dispute_id)
    assert d.status == "won" and d.closed_at is not None
    keys = [t["key"] for t in d._attributes["transactions"]]
    assert keys.count("dispute.started.debit") == 1 and keys.count("dispute.won.credit") == 1, keys
    credit = [t for t in d._attributes["transactions"] if t["key"] == "dispute.won.credit"][0]
    assert credit["direction"] == "credit" and credit["amount"] == 4321 and credit["origin"] == dispute_id


def test_second_test_key_of_the_same_account_sees_the_same_disputes(omise_client):
    omise_client.api_secret = KEY2
    d = omise.Dispute.retrieve("dspt_test_5xuy4w91xqz7d1w9u0t")
    assert d.id == "dspt_test_5xuy4w91xqz7d1w9u0t" and d.status == "open"


def test_another_account_sees_none_of_the_demo_disputes(omise_client, many_disputes):
    omise_client.api_secret = OTHER_KEY
    for dispute_id in DEMO_OPEN:
        with pytest.raises(errors.NotFoundError):
            omise.Dispute.retrieve(dispute_id)
    with pytest.raises(errors.NotFoundError):
        omise.Dispute.retrieve(many_disputes[0])
    seen = {d.id for d in omise.Dispute.list()}
    assert not seen & (set(DEMO_OPEN) | set(many_disputes))
    with pytest.raises(errors.NotFoundError):
        omise.Dispute.retrieve(many_disputes[0]).update(message="not mine")


def test_live_key_sees_no_test_disputes(omise_client):
    omise_client.api_secret = LIVE_KEY
    with pytest.raises(errors.NotFoundError):
        omise.Dispute.retrieve("dspt_test_5g5ih3pybo7v4wwrbjw")
    for d in omise.Dispute.list():
        assert d.livemode is True and d.id.startswith("dspt_") and not d.id.startswith("dspt_test_")
    r = raw("POST", "/charges/%s/disputes" % new_charge_id(), key=LIVE_KEY, json={})
    assert error_of(r) == (404, "not_found")


@pytest.mark.parametrize(
    "key",
    ["skey_test_nosuchkey00000000000", "pkey_test_4xs8breq3htbkj03d2x", "", "garbage"],
)
def test_bad_keys_raise_authentication_failure(omise_client, key):
    omise_client.api_secret = key
    with pytest.raises(errors.AuthenticationFailureError):
        omise.Dispute.retrieve("dspt_test_5g5ih3pybo7v4wwrbjw")
    r = raw("GET", "/disputes", key=key or None)
    assert error_of(r) == (401, "authentication_failure")
    assert r.headers.get("WWW-Authenticate", "").lower().startswith("basic")


def test_unknown_api_version_is_a_bad_request(omise_client):
    omise_client.api_version = "not-a-version"
    with pytest.raises(errors.BaseError):
        omise.Dispute.retrieve("dspt_test_5g5ih3pybo7v4wwrbjw")
    r = raw("GET", "/disputes/dspt_test_5g5ih3pybo7v4wwrbjw", version="not-a-version")
    assert error_of(r) == (400, "bad_request")


def test_a_charge_can_be_disputed_only_once(omise_client):
    charge = new_charge_id()
    first = raw("POST", "/charges/%s/disputes" % charge, json={"amount": 777})
    assert first.status_code == 200, first.text
    again = raw("POST", "/charges/%s/disputes" % charge, json={"amount": 777})
    assert 400 <= again.status_code < 500 and again.json()["object"] == "error", again.text
