"""The dispute calls of the official Mangopay Python SDK (mangopay4-python-sdk 4.2.0) against the
Mangopay dialect of dispute-docs: OAuth, lists (filters, paging, sorting), pending settlement,
disputes of a pay-in / user / wallet, view, Tag, contest, resubmit, close, transactions.

The list tests come first in this file (the first pytest runs): the demo data is then as seeded.
"""

import datetime
import decimal
import importlib.metadata
import time

import pytest
from mangopay.auth import ApiAuthorization
from mangopay.exceptions import APIError
from mangopay.page import Page
from mangopay.resources import Dispute, PayIn, Transaction, User, Wallet
from mangopay.utils import Money, Reason

from conftest import (
    API_URL,
    CLIENT_ID,
    DEMO,
    NOT_VISIBLE,
    OTHER_API_KEY,
    OTHER_CLIENT_ID,
    UNKNOWN_DISPUTE,
    assert_error,
    make_handler,
    omise_status,
    open_dispute,
    ops,
)

STATUSES = ("PENDING_CLIENT_ACTION", "REOPENED_PENDING_CLIENT_ACTION", "SUBMITTED", "CLOSED")


def ids(items):
    return sorted(d.id for d in items)


def demo_ids(*statuses):
    return sorted(i for i, v in DEMO.items() if v[2] in statuses)


def assert_dispute(d):
    assert isinstance(d, Dispute)
    assert d.id.startswith("dspt_test_") and len(d.id) == 29, d.id
    assert isinstance(d.creation_date, datetime.datetime), d.creation_date
    assert d.initial_transaction_type == "PAYIN"
    assert d.dispute_type in ("CONTESTABLE", "NOT_CONTESTABLE", "RETRIEVAL")
    assert isinstance(d.disputed_funds, Money)
    assert d.status in STATUSES, d.status
    assert isinstance(d.dispute_reason, Reason)
    if d.status == "CLOSED":
        assert d.result_code in ("WON", "LOST")
        assert isinstance(d.closed_date, datetime.datetime)
    else:
        assert d.result_code == ""
        assert d.closed_date is None


def assert_demo(d):
    assert_dispute(d)
    charge, amount, status, result, reason = DEMO[d.id]
    assert d.initial_transaction_id == charge
    assert d.disputed_funds.amount == decimal.Decimal(amount)
    assert d.disputed_funds.currency == "THB"
    assert d.status == status, (d.id, d.status)
    assert d.result_code == result
    assert d.dispute_reason.type == reason
    assert d.dispute_type == "CONTESTABLE"


def sorted_by_date(items, reverse):
    dates = [d.creation_date for d in items]
    return dates == sorted(dates, reverse=reverse)


# --- set-up -----------------------------------------------------------------------------------


def test_the_sdk_is_mangopay4_python_sdk_4_2_0():
    assert importlib.metadata.version("mangopay4-python-sdk") == "4.2.0"


# --- lists (first: the demo data as seeded) -----------------------------------------------------


def test_all_lists_exactly_the_demo_test_mode_disputes(h, wire):
    page = Dispute.all(handler=h, page=1, per_page=100)
    assert isinstance(page, Page)
    assert ids(page) == sorted(DEMO)
    for d in page:
        assert_demo(d)
    for hidden in NOT_VISIBLE:
        assert hidden not in ids(page)
    assert page.total_items == str(len(DEMO))  # raw header strings
    assert page.total_pages == "1"
    assert sorted_by_date(page, reverse=True), "default order is CreationDate:DESC"
    method, url, _, status = wire.last()
    assert (method, status) == ("GET", 200)
    assert url.startswith(API_URL + CLIENT_ID + "/disputes?")


def test_all_defaults_to_the_first_ten(h):
    page = Dispute.all(handler=h)
    assert len(page) == 10
    assert page.total_items == "12"
    assert page.total_pages == "2"


def test_all_pages_with_page_per_page_and_Page_Per_Page(h):
    whole = [d.id for d in Dispute.all(handler=h, per_page=100)]
    pages = []
    for n in (1, 2, 3):
        page = Dispute.all(handler=h, page=n, per_page=5)
        assert page.total_items == "12" and page.total_pages == "3"
        pages.append([d.id for d in page])
    assert [len(p) for p in pages] == [5, 5, 2]
    assert sum(pages, []) == whole
    assert [d.id for d in Dispute.all(handler=h, Page=2, Per_Page=5)] == pages[1]
    assert [d.id for d in Dispute.all(handler=h, PAGE=3, PER_PAGE=5)] == pages[2]
    assert list(Dispute.all(handler=h, page=4, per_page=5)) == []
    assert len(Dispute.all(handler=h, per_page=500)) == 12  # clamped to 100


def test_all_with_a_bad_page_raises_400(h):
    for params in ({"page": 0}, {"per_page": 0}, {"page": "one"}):
        with pytest.raises(APIError) as e:
            Dispute.all(handler=h, **params)
        assert_error(e.value, 400, "param_error")


def test_all_sorts_by_creation_date(h, wire):
    asc = Dispute.all(handler=h, per_page=100, Sort="CreationDate:ASC")
    assert "Sort=CreationDate%3AASC" in wire.last()[1]  # Python percent-encodes the colon
    desc = Dispute.all(handler=h, per_page=100, Sort="CreationDate:DESC")
    assert sorted_by_date(asc, reverse=False)
    assert sorted_by_date(desc, reverse=True)
    assert ids(asc) == ids(desc) == sorted(DEMO)
    with pytest.raises(APIError) as e:
        Dispute.all(handler=h, Sort="Status:ASC")
    assert_error(e.value, 400, "param_error")


def test_all_filters_by_status(h):
    for status in ("PENDING_CLIENT_ACTION", "SUBMITTED", "CLOSED"):
        page = Dispute.all(handler=h, per_page=100, Status=status)
        assert ids(page) == demo_ids(status), status
        assert page.total_items == str(len(demo_ids(status)))
    # names are case-insensitive (Mangopay's own tests send status=)
    assert ids(Dispute.all(handler=h, per_page=100, status="SUBMITTED")) == demo_ids("SUBMITTED")
    empty = Dispute.all(handler=h, Status="REOPENED_PENDING_CLIENT_ACTION")
    assert list(empty) == [] and empty.total_items == "0" and empty.total_pages == "0"
    won = [d.id for d in Dispute.all(handler=h, Status="CLOSED") if d.result_code == "WON"]
    assert sorted(won) == ["dspt_test_5demowon10000000000", "dspt_test_5demowon90000000000"]


def test_all_filters_by_several_statuses(h):
    want = demo_ids("SUBMITTED", "CLOSED")
    assert ids(Dispute.all(handler=h, per_page=100, Status="SUBMITTED,CLOSED")) == want
    assert ids(Dispute.all(handler=h, per_page=100, Status="CLOSED, SUBMITTED")) == want
    with pytest.raises(APIError) as e:
        Dispute.all(handler=h, Status="WON")
    assert_error(e.value, 400, "param_error")


def test_all_filters_by_dispute_type_and_dates(h):
    assert len(Dispute.all(handler=h, per_page=100, DisputeType="CONTESTABLE")) == 12
    assert list(Dispute.all(handler=h, DisputeType="NOT_CONTESTABLE")) == []
    now = int(time.time())
    # as in Mangopay's own SDK tests: BeforeDate=now finds some, AfterDate=now none
    assert len(Dispute.all(handler=h, per_page=100, BeforeDate=now + 60)) == 12
    assert list(Dispute.all(handler=h, AfterDate=now + 60)) == []


def test_get_pending_settlement(h, wire):
    page = Dispute.get_pending_settlement(handler=h)
    assert isinstance(page, Page)
    assert wire.last()[1].startswith(API_URL + CLIENT_ID + "/disputes/pendingsettlement")
    assert page.total_items is not None
    for d in page:
        assert_dispute(d)
        assert d.status == "CLOSED" and d.result_code == "LOST"


def test_disputes_of_a_payin_user_and_wallet(h, wire):
    d = Dispute.get("dspt_test_4zgf15h89w8t775kcm8", handler=h)
    found = PayIn(id=d.initial_transaction_id, handler=h).disputes.all()
    assert isinstance(found, list)  # a plain list, no totals
    assert [x.id for x in found] == ["dspt_test_4zgf15h89w8t775kcm8"]
    assert_demo(found[0])
    assert wire.last()[1] == "%s%s/payins/%s/disputes" % (API_URL, CLIENT_ID, d.initial_transaction_id)
    assert PayIn(id="chrg_test_" + "9" * 19, handler=h).disputes.all() == []
    assert User(id="user_unknown_1", handler=h).disputes.all() == []
    assert wire.last()[1].endswith("/users/user_unknown_1/disputes")
    assert Wallet(id="wallet_unknown_1", handler=h).disputes.all() == []
    assert wire.last()[1].endswith("/wallets/wallet_unknown_1/disputes")


# --- OAuth and clients ---------------------------------------------------------------------------


def test_oauth_token(h, wire):
    result, token = ApiAuthorization(h).oauth_token()
    assert result.status_code == 200
    assert token["token_type"] == "Bearer"
    assert isinstance(token["access_token"], str) and len(token["access_token"]) >= 16
    assert isinstance(token["expires_in"], int) and token["expires_in"] > 60
    # The SDK sends a JSON body under a form content type; it was accepted.
    method, url, body, status = wire.last()
    assert (method, url, status) == ("POST", API_URL + "oauth/token", 200)
    assert body == '{"grant_type": "client_credentials"}'
    assert h.auth_manager.get_token().startswith("Bearer ")


def test_wrong_credentials_raise_401():
    bad = make_handler(apikey="wrong_api_key_000000000000")
    with pytest.raises(APIError) as e:
        Dispute.all(handler=bad)
    body = assert_error(e.value, 401, "invalid_credentials")
    assert body["errors"] is None


def test_another_client_sees_only_its_own_disputes():
    other = make_handler(OTHER_CLIENT_ID, OTHER_API_KEY)
    assert [d.id for d in Dispute.all(handler=other, per_page=100)] == ["dspt_test_5otheracct100000000"]
    with pytest.raises(Dispute.DoesNotExist):
        Dispute.get("dspt_test_5g5ih3pybo7v4wwrbjw", handler=other)


# --- one dispute -----------------------------------------------------------------------------------


def test_get_views_a_dispute(h, wire):
    for dispute_id in ("dspt_test_5g5ih3pybo7v4wwrbjw", "dspt_test_5demopend7000000000",
                       "dspt_test_5demowon10000000000", "dspt_test_5demolost1200000000"):
        d = Dispute.get(dispute_id, handler=h)
        assert_demo(d)
        assert wire.last()[1] == API_URL + CLIENT_ID + "/disputes/" + dispute_id
    d = Dispute.get("dspt_test_5g5ih3pybo7v4wwrbjw", handler=h)
    assert d.contested_funds is None
    assert d.status_message is None


def test_get_of_an_unknown_dispute_raises_does_not_exist(h, wire):
    # needs a 404 body with an `errors` key
    with pytest.raises(Dispute.DoesNotExist):
        Dispute.get(UNKNOWN_DISPUTE, handler=h)
    assert wire.last()[3] == 404


def test_save_updates_only_the_tag(h, wire):
    d = Dispute.get(open_dispute(), handler=h)
    d.tag = "python tag"
    result = d.save(handler=h)
    assert result["tag"] == "python tag"
    assert result["status"] == "PENDING_CLIENT_ACTION"
    method, url, body, status = wire.last()
    assert (method, body, status) == ("PUT", '{"Tag": "python tag"}', 200)
    assert Dispute.get(d.id, handler=h).tag == "python tag"
    # Tag None: the SDK sends {} and nothing changes
    d.tag = None
    d.save(handler=h)
    assert wire.last()[2] == "{}"
    assert Dispute.get(d.id, handler=h).tag == "python tag"
    # a closed dispute can be tagged too
    closed = Dispute.get("dspt_test_5demowon10000000000", handler=h)
    closed.tag = "closed, tagged"
    assert closed.save(handler=h)["tag"] == "closed, tagged"
    # over 255 characters
    d.tag = "x" * 256
    with pytest.raises(APIError) as e:
        d.save(handler=h)
    assert_error(e.value, 400, "param_error")


def test_contest_submits_with_contested_funds(h, wire):
    d = Dispute.get(open_dispute(amount=50000), handler=h)
    wire.clear()
    assert d.contest(None, handler=h) is None  # a Money or nothing: a client no-op
    assert wire.calls == []
    result = d.contest(Money(40000, "THB"), handler=h)
    method, url, body, status = wire.last()
    assert (method, status) == ("PUT", 200)
    assert url == API_URL + CLIENT_ID + "/disputes/%s/submit/" % d.id  # trailing slash
    assert body == '{"ContestedFunds": {"Currency": "THB", "Amount": 40000}}'
    assert result["id"] == d.id
    assert result["status"] == "SUBMITTED"
    assert result["contested_funds"].amount == 40000 and result["contested_funds"].currency == "THB"
    assert Dispute.get(d.id, handler=h).status == "SUBMITTED"
    assert omise_status(d.id) == "pending"
    with pytest.raises(APIError) as e:
        d.contest(Money(40000, "THB"), handler=h)
    body = assert_error(e.value, 400, "param_error")
    assert "Status" in body["errors"], body


def test_contest_validates_contested_funds(h):
    d = Dispute.get(open_dispute(amount=50000), handler=h)
    for money in (Money(100, "EUR"), Money(50001, "THB"), Money(0, "THB")):
        with pytest.raises(APIError) as e:
            d.contest(money, handler=h)
        assert_error(e.value, 400, "param_error")
    # resubmit() on a first submission sends {}: ContestedFunds is required then
    with pytest.raises(APIError) as e:
        d.resubmit(handler=h)
    body = assert_error(e.value, 400, "param_error")
    assert "ContestedFunds" in body["errors"], body
    assert Dispute.get(d.id, handler=h).status == "PENDING_CLIENT_ACTION"


def test_resubmit_after_the_operator_reopened_it(h, wire):
    d = Dispute.get(open_dispute(amount=30000), handler=h)
    d.contest(Money(30000, "THB"), handler=h)
    ops("/disputes/%s/reopen" % d.id, {"admin_message": "Send the courier's slip"})
    d = Dispute.get(d.id, handler=h)
    assert d.status == "REOPENED_PENDING_CLIENT_ACTION"
    assert d.status_message == "Send the courier's slip"
    assert d.id in [x.id for x in Dispute.all(handler=h, Status="REOPENED_PENDING_CLIENT_ACTION")]
    result = d.resubmit(handler=h)
    method, url, body, status = wire.last()
    assert (method, body, status) == ("PUT", "{}", 200)
    assert url.endswith("/disputes/%s/submit/" % d.id)
    assert result["status"] == "SUBMITTED"
    assert result["contested_funds"].amount == 30000
    assert omise_status(d.id) == "pending"
    with pytest.raises(APIError) as e:
        d.resubmit(handler=h)
    assert_error(e.value, 400, "param_error")


def test_close_concedes(h, wire):
    d = Dispute.get(open_dispute(), handler=h)
    assert d.close(handler=h) is None  # the SDK ignores the answer
    method, url, body, status = wire.last()
    assert (method, body, status) == ("PUT", "{}", 200)
    assert url.endswith("/disputes/%s/close/" % d.id)
    d = Dispute.get(d.id, handler=h)
    assert d.status == "CLOSED" and d.result_code == "LOST"
    assert isinstance(d.closed_date, datetime.datetime)
    assert omise_status(d.id) == "lost"
    with pytest.raises(APIError) as e:
        d.close(handler=h)
    assert_error(e.value, 400, "param_error")
    with pytest.raises(APIError) as e:
        Dispute(id="dspt_test_5demopend6000000000", handler=h).close(handler=h)
    assert_error(e.value, 400, "param_error")


def test_writes_to_an_unknown_dispute_are_404(h, wire):
    # The SDK does not raise on a 404 of a write (bug P4); the wire shows the server's answer.
    unknown = Dispute(id="dspt_test_" + "1" * 19, handler=h)
    unknown.close(handler=h)
    assert wire.last()[3] == 404
    unknown.contest(Money(1, "THB"), handler=h)
    assert wire.last()[3] == 404
    unknown.tag = "x"
    unknown.save(handler=h)
    assert wire.last()[3] == 404


def test_transactions_of_a_dispute(h, wire):
    page = Dispute.get_transactions("dspt_test_5g5ih3pybo7v4wwrbjw", handler=h)
    # trailing slash and ?dispute_id= (ignored by the server)
    assert wire.last()[1] == API_URL + CLIENT_ID + "/disputes/dspt_test_5g5ih3pybo7v4wwrbjw/transactions/?dispute_id=dspt_test_5g5ih3pybo7v4wwrbjw"
    assert isinstance(page, Page) and page.total_items is not None
    reps = [t for t in page if t.nature == "REPUDIATION"]
    assert len(reps) == 1, [(t.nature, t.type) for t in page]
    rep = reps[0]
    assert isinstance(rep, Transaction)
    assert rep.type == "TRANSFER"
    assert isinstance(rep.debited_funds, Money) and rep.debited_funds.currency == "THB"
    assert isinstance(rep.creation_date, datetime.datetime)
    d = Dispute.get("dspt_test_5g5ih3pybo7v4wwrbjw", handler=h)
    assert d.repudiation_id == rep.id
    # the relation form: no slash, no query, a plain list
    same = d.transactions.all()
    assert wire.last()[1] == API_URL + CLIENT_ID + "/disputes/dspt_test_5g5ih3pybo7v4wwrbjw/transactions"
    assert [t.id for t in same] == [t.id for t in page]
    won = Dispute.get_transactions("dspt_test_5demowon90000000000", handler=h)
    assert sorted(t.nature for t in won) == ["REPUDIATION", "SETTLEMENT"]
    settlement = [t for t in won if t.nature == "SETTLEMENT"][0]
    assert settlement.credited_funds is not None or settlement.debited_funds is not None
    with pytest.raises(APIError) as e:
        Dispute.get_transactions(UNKNOWN_DISPUTE, handler=h)
    assert_error(e.value, 404, "ressource_not_found")
