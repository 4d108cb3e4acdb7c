"""The dispute-document calls of the official Mangopay Python SDK (mangopay4-python-sdk 4.2.0)
against the Mangopay dialect of dispute-docs: a dispute's documents, all documents, view,
create (through the SDK's malformed path, bug P2), pages, submit (through the SDK's own request
handler: no model method works, bug P1), consult, and the idempotency lookup.
"""

import datetime
import uuid

import pytest
import requests
from mangopay.exceptions import APIError
from mangopay.page import Page
from mangopay.resources import (
    Dispute,
    DisputeDocument,
    DisputeDocumentPage,
    DocumentConsult,
    IdempotencyResponse,
)
from mangopay.utils import Money

from conftest import (
    API_URL,
    BASE,
    CLIENT_ID,
    DEMO_DOCS,
    FILES,
    JPG,
    PNG,
    SMALL_PDF,
    TEXT,
    UNKNOWN_DOCUMENT,
    assert_error,
    b64,
    open_dispute,
    ops,
)

TYPES = ("DELIVERY_PROOF", "INVOICE", "REFUND_PROOF", "USER_CORRESPONDANCE", "USER_ACCEPTANCE_PROOF",
         "PRODUCT_REPLACEMENT_PROOF", "OTHER")
STATUSES = ("CREATED", "VALIDATION_ASKED", "VALIDATED", "REFUSED", "OUT_OF_DATE")


def assert_document(doc):
    assert isinstance(doc, DisputeDocument)
    assert doc.id.startswith("docu_test_") and len(doc.id) == 29, doc.id
    assert doc.type in TYPES, doc.type
    assert doc.status in STATUSES, doc.status
    assert isinstance(doc.creation_date, datetime.datetime)
    assert doc.dispute_id.startswith("dspt_test_")


def create_document(h, dispute_id, type_="DELIVERY_PROOF", tag=None, idempotency_key=None):
    """Create a document the SDK's way (as in Mangopay's own tests): document.dispute = dispute."""
    doc = DisputeDocument(handler=h)
    doc.type = type_
    doc.tag = tag
    doc.dispute = Dispute.get(dispute_id, handler=h)
    doc.save(idempotency_key=idempotency_key)
    return doc


def add_page(h, dispute_id, doc, data):
    page = DisputeDocumentPage(handler=h)
    page.file = b64(data)
    page.dispute = Dispute(id=dispute_id, handler=h)
    page.document = doc
    return page.save()


def submit(h, dispute_id, doc_id, status="VALIDATION_ASKED"):
    """The workaround of MANGOPAY.md section 9: the SDK's own request handler, one raw PUT."""
    return h.request("PUT", "/disputes/%s/documents/%s" % (dispute_id, doc_id), data={"Status": status})


# --- lists and view ---------------------------------------------------------------------------------


def test_a_disputes_documents(h, wire):
    for doc_id, (dispute_id, type_, _) in DEMO_DOCS.items():
        d = Dispute.get(dispute_id, handler=h)
        docs = d.documents.all()  # the dispute's own handler; a plain list
        assert wire.last()[1] == "%s%s/disputes/%s/documents" % (API_URL, CLIENT_ID, dispute_id)
        assert isinstance(docs, list)
        assert [x.id for x in docs] == [doc_id]
        doc = docs[0]
        assert_document(doc)
        assert (doc.dispute_id, doc.type, doc.status) == (dispute_id, type_, "CREATED")
        assert doc.processed_date is None
        assert doc.refused_reason_type is None and doc.refused_reason_message is None
    d = Dispute.get("dspt_test_5g5ih3pybo7v4wwrbjw", handler=h)
    assert [x.id for x in d.documents.all(page=1, per_page=10, Status="CREATED")] == ["docu_test_5g5iiejzhyhbfyj6kzs"]
    assert d.documents.all(Status="VALIDATED") == []
    assert d.documents.all(Type="DELIVERY_PROOF") == []
    assert d.documents.all(page=2, per_page=1) == []
    assert Dispute.get("dspt_test_5demoopen4000000000", handler=h).documents.all() == []
    with pytest.raises(TypeError):  # bug P3: the relation takes no handler=
        d.documents.all(handler=h)


def test_all_documents_filtered_by_status_and_type(h, wire):
    page = DisputeDocument.all(handler=h, per_page=100)
    assert isinstance(page, Page)
    assert wire.last()[1].startswith(API_URL + CLIENT_ID + "/dispute-documents?")
    for doc in page:
        assert_document(doc)
    assert set(DEMO_DOCS) <= {d.id for d in page}
    assert page.total_items == str(len(page))
    created_invoices = DisputeDocument.all(handler=h, per_page=100, Status="CREATED", Type="INVOICE")
    assert all(d.status == "CREATED" and d.type == "INVOICE" for d in created_invoices)
    assert {"docu_test_5g5iiejzhyhbfyj6kzs", "docu_test_5xuy4w91xqz7d1w9u0t"} <= {d.id for d in created_invoices}
    lower = DisputeDocument.all(handler=h, per_page=100, status="CREATED", type="INVOICE")
    assert [d.id for d in lower] == [d.id for d in created_invoices]
    delivery = DisputeDocument.all(handler=h, per_page=100, Type="DELIVERY_PROOF")
    assert all(d.type == "DELIVERY_PROOF" for d in delivery)
    assert "docu_test_53f7n2a4rzvii1p8tn7" in {d.id for d in delivery}
    both = DisputeDocument.all(handler=h, per_page=100, Type="INVOICE,DELIVERY_PROOF")
    assert {d.id for d in both} == {d.id for d in page if d.type in ("INVOICE", "DELIVERY_PROOF")}
    one = DisputeDocument.all(handler=h, Page=1, Per_Page=1, Sort="CreationDate:ASC")
    assert len(one) == 1 and one.total_pages == str(len(page))
    with pytest.raises(APIError) as e:
        DisputeDocument.all(handler=h, Type="INVOICE_PROOF")
    assert_error(e.value, 400, "param_error")
    with pytest.raises(APIError) as e:
        DisputeDocument.all(handler=h, Status="ACCEPTED")
    assert_error(e.value, 400, "param_error")


def test_get_views_a_document(h, wire):
    doc = DisputeDocument.get("docu_test_53f7n2a4rzvii1p8tn7", handler=h)
    assert wire.last()[1] == API_URL + CLIENT_ID + "/dispute-documents/docu_test_53f7n2a4rzvii1p8tn7"
    assert_document(doc)
    assert (doc.dispute_id, doc.type, doc.status) == ("dspt_test_4zgf15h89w8t775kcm8", "DELIVERY_PROOF", "CREATED")
    with pytest.raises(DisputeDocument.DoesNotExist):
        DisputeDocument.get(UNKNOWN_DOCUMENT, handler=h)
    assert wire.last()[3] == 404


# --- create, pages, submit -------------------------------------------------------------------------


def test_create_document_through_the_missing_slash_path(h, wire):
    dispute_id = open_dispute()
    doc = create_document(h, dispute_id, "DELIVERY_PROOF", tag="Custom meta")
    method, url, body, status = wire.last()
    # bug P2: no "/" between the ClientId and "disputes"; the server accepts it
    assert (method, status) == ("POST", 200)
    assert url == "%s%sdisputes/%s/documents/" % (API_URL, CLIENT_ID, dispute_id)
    assert '"DisputeId": "%s"' % dispute_id in body
    assert_document(doc)
    assert (doc.dispute_id, doc.type, doc.tag, doc.status) == (dispute_id, "DELIVERY_PROOF", "Custom meta", "CREATED")
    assert doc.processed_date is None
    assert doc.refused_reason_type is None and doc.refused_reason_message is None
    again = DisputeDocument.get(doc.id, handler=h)
    assert (again.type, again.tag, again.status) == ("DELIVERY_PROOF", "Custom meta", "CREATED")
    for type_ in TYPES:
        assert create_document(h, dispute_id, type_).type == type_
    assert len(Dispute.get(dispute_id, handler=h).documents.all(per_page=100)) == 1 + len(TYPES)


def test_create_document_errors(h):
    dispute_id = open_dispute()
    with pytest.raises(APIError) as e:
        create_document(h, dispute_id, "INVOICE_PROOF")
    body = assert_error(e.value, 400, "param_error")
    assert "Type" in body["errors"], body
    with pytest.raises(APIError) as e:
        create_document(h, dispute_id, "INVOICE", tag="x" * 256)
    assert_error(e.value, 400, "param_error")
    with pytest.raises(APIError) as e:
        create_document(h, "dspt_test_5demopend8000000000", "INVOICE")
    body = assert_error(e.value, 400, "param_error")
    assert "Status" in body["errors"], body


def test_pages_answer_204_and_are_validated(h, wire):
    dispute_id = open_dispute()
    doc = create_document(h, dispute_id)
    assert add_page(h, dispute_id, doc, PNG) == {}
    method, url, body, status = wire.last()
    assert (method, status) == ("POST", 204)
    assert url == "%s%s/disputes/%s/documents/%s/pages/" % (API_URL, CLIENT_ID, dispute_id, doc.id)
    assert '"Document": "%s"' % doc.id in body and '"Dispute": "%s"' % dispute_id in body  # extra keys
    add_page(h, dispute_id, doc, JPG)
    for data, status_, type_ in ((SMALL_PDF, 400, "param_error"), (TEXT, 415, "unsupported_media_type")):
        with pytest.raises(APIError) as e:
            add_page(h, dispute_id, doc, data)
        body = assert_error(e.value, status_, type_)
        assert "File" in body["errors"], body
    page = DisputeDocumentPage(handler=h)
    page.file = "%%% not base64 %%%"
    page.dispute = Dispute(id=dispute_id, handler=h)
    page.document = doc
    with pytest.raises(APIError) as e:
        page.save()
    assert_error(e.value, 400, "param_error")
    assert len(DocumentConsult.get_dispute_document_consult(doc.id, handler=h)) == 2


def test_submit_document_through_the_request_handler(h, wire):
    dispute_id = open_dispute()
    doc = create_document(h, dispute_id, "INVOICE")
    # bug P1: the model method fails before sending anything
    wire.clear()
    with pytest.raises(KeyError):
        doc.submit(status="VALIDATION_ASKED", handler=h)
    assert wire.calls == []
    # no page yet: refused
    with pytest.raises(APIError) as e:
        submit(h, dispute_id, doc.id)
    body = assert_error(e.value, 400, "param_error")
    assert "Status" in body["errors"], body
    add_page(h, dispute_id, doc, PNG)
    with pytest.raises(APIError) as e:
        submit(h, dispute_id, doc.id, status="VALIDATED")
    assert_error(e.value, 400, "param_error")
    result, data = submit(h, dispute_id, doc.id)
    assert result.status_code == 200
    assert data["Id"] == doc.id and data["Status"] == "VALIDATION_ASKED" and data["Type"] == "INVOICE"
    assert DisputeDocument.get(doc.id, handler=h).status == "VALIDATION_ASKED"
    assert Dispute.get(dispute_id, handler=h).status == "PENDING_CLIENT_ACTION"
    # frozen now: no page, no second submit
    with pytest.raises(APIError) as e:
        add_page(h, dispute_id, doc, JPG)
    body = assert_error(e.value, 400, "param_error")
    assert "Status" in body["errors"], body
    with pytest.raises(APIError) as e:
        submit(h, dispute_id, doc.id)
    assert_error(e.value, 400, "param_error")


def test_the_operators_review_shows_through_the_sdk(h):
    docs = []
    for _ in range(2):
        dispute_id = open_dispute()
        doc = create_document(h, dispute_id, "DELIVERY_PROOF")
        add_page(h, dispute_id, doc, JPG)
        submit(h, dispute_id, doc.id)
        docs.append((dispute_id, doc.id))
    (d1, ok), (d2, ko) = docs
    assert ops("/disputes/%s/documents/%s/validate" % (d1, ok))["status"] == "validated"
    seen = DisputeDocument.get(ok, handler=h)
    assert seen.status == "VALIDATED"
    assert isinstance(seen.processed_date, datetime.datetime)
    assert ok in {d.id for d in DisputeDocument.all(handler=h, per_page=100, Status="VALIDATED")}
    answer = ops("/disputes/%s/documents/%s/refuse" % (d2, ko), {"reason_type": "DOCUMENT_FALSIFIED", "message": "Edited"})
    assert answer["status"] == "refused"
    seen = DisputeDocument.get(ko, handler=h)
    assert (seen.status, seen.refused_reason_type, seen.refused_reason_message) == ("REFUSED", "DOCUMENT_FALSIFIED", "Edited")
    assert isinstance(seen.processed_date, datetime.datetime)


def test_contest_submits_the_created_documents(h):
    dispute_id = open_dispute(amount=20000)
    doc = create_document(h, dispute_id, "USER_ACCEPTANCE_PROOF")
    add_page(h, dispute_id, doc, JPG)
    Dispute.get(dispute_id, handler=h).contest(Money(20000, "THB"), handler=h)
    assert DisputeDocument.get(doc.id, handler=h).status == "VALIDATION_ASKED"
    with pytest.raises(APIError) as e:
        create_document(h, dispute_id, "OTHER")
    assert_error(e.value, 400, "param_error")


# --- consult --------------------------------------------------------------------------------------


def test_consult_pages_and_fetch_them_without_a_token(h, wire):
    dispute_id = open_dispute()
    doc = create_document(h, dispute_id)
    add_page(h, dispute_id, doc, JPG)
    add_page(h, dispute_id, doc, PNG)
    items = DocumentConsult.get_dispute_document_consult(doc.id, handler=h)
    method, url, body, status = wire.last()
    assert (method, url, body, status) == ("POST", "%s%s/dispute-documents/%s/consult" % (API_URL, CLIENT_ID, doc.id), "{}", 200)
    assert len(items) == 2
    today = datetime.datetime.utcnow().date()
    for item, (data, type_) in zip(items, ((JPG, "image/jpeg"), (PNG, "image/png"))):
        assert set(item) == {"url", "expiration_date"}, item
        # the SDK parses ExpirationDate as a date (a DateField): today or tomorrow (10 minutes on)
        assert item["expiration_date"] in (today, today + datetime.timedelta(days=1)), item
        assert item["url"].startswith(BASE + "/"), item
        r = requests.get(item["url"], timeout=30)  # no token
        assert r.status_code == 200
        assert r.headers["Content-Type"] == type_
        assert r.content == data
    # no pages: []
    empty = create_document(h, dispute_id)
    assert DocumentConsult.get_dispute_document_consult(empty.id, handler=h) == []
    # a write: the SDK does not raise on its 404 (bug P4); the wire shows it
    DocumentConsult.get_dispute_document_consult(UNKNOWN_DOCUMENT, handler=h)
    assert wire.last()[3] == 404


def test_consult_of_a_demo_upload_serves_the_seeded_file(h):
    for doc_id, (_, _, name) in DEMO_DOCS.items():
        items = DocumentConsult.get_dispute_document_consult(doc_id, handler=h)
        assert len(items) == 1
        r = requests.get(items[0]["url"], timeout=30)
        assert r.status_code == 200
        assert r.content == (FILES / name).read_bytes()


# --- idempotency -------------------------------------------------------------------------------------


def test_idempotency_key_and_lookup(h, wire):
    dispute_id = open_dispute()
    key = str(uuid.uuid4())
    doc = create_document(h, dispute_id, "REFUND_PROOF", idempotency_key=key)
    assert doc.status == "CREATED"
    # through the default handler (module globals), with the SDK's "/responses//{key}"
    stored = IdempotencyResponse.get(key)
    assert wire.last()[1] == "%s%s/responses//%s" % (API_URL, CLIENT_ID, key)
    assert str(stored.status) == "200"
    assert str(stored.content_type).startswith("application/json")
    assert stored.content_length is not None and stored.date is not None
    assert stored.resource["Id"] == doc.id and stored.resource["Type"] == "REFUND_PROOF"
    # the same key again within 24 h: 409, and nothing was created
    with pytest.raises(APIError) as e:
        create_document(h, dispute_id, "REFUND_PROOF", idempotency_key=key)
    body = assert_error(e.value, 409, "idempotent_creation_conflict")
    assert body["errors"] is None
    assert [d.id for d in Dispute.get(dispute_id, handler=h).documents.all()] == [doc.id]
    # page create with a key
    page_key = str(uuid.uuid4())
    page = DisputeDocumentPage(handler=h)
    page.file = b64(PNG)
    page.dispute = Dispute(id=dispute_id, handler=h)
    page.document = doc
    page.save(idempotency_key=page_key)
    assert str(IdempotencyResponse.get(page_key).status) == "204"
    with pytest.raises(IdempotencyResponse.DoesNotExist):
        IdempotencyResponse.get(str(uuid.uuid4()))
