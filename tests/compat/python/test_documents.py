"""Every document call of the official omise-python client (0.16), against dispute-docs."""

import base64
import hashlib

import omise
import pytest
import requests
from omise import errors

from conftest import (
    BASE,
    DEMO_OPEN,
    JPEG,
    OTHER_KEY,
    PDF,
    PNG,
    TEXT,
    assert_document_shape,
    error_of,
    open_dispute,
    ops,
    raw,
)


def fresh_dispute():
    return omise.Dispute.retrieve(open_dispute()["id"])


def test_upload_document_returns_the_document_and_reloads_the_dispute(version):
    d = fresh_dispute()
    doc = d.upload_document(
        {"file": ("evidence.png", PNG, "image/png"), "kind": (None, "details_of_purchase")}
    )
    assert isinstance(doc, omise.Document)
    assert_document_shape(doc._attributes, version, d.id)
    assert doc.filename == "evidence.png"
    if version != "2017-11-02" or "kind" in doc._attributes:
        assert doc.kind == "details_of_purchase"
    assert doc.destroyed is False
    # upload_document() reloads the dispute: its embedded list now has the document
    assert d.status == "open"
    assert [x.id for x in d.documents] == [doc.id]
    assert d.documents.retrieve(doc.id).filename == "evidence.png"
    assert d.documents.total == 1


def test_upload_of_an_open_file_without_kind(version, tmp_path):
    path = tmp_path / "receipt.jpg"
    path.write_bytes(JPEG)
    d = fresh_dispute()
    with open(path, "rb") as f:
        doc = d.upload_document({"file": f})
    assert_document_shape(doc._attributes, version, d.id)
    assert doc.filename == "receipt.jpg"
    assert doc._attributes.get("kind") is None


def test_upload_with_kind_given_as_a_plain_string_field(version):
    # requests sends a str value in `files` as a part with filename="kind"
    d = fresh_dispute()
    doc = d.upload_document({"file": ("statement.pdf", PDF), "kind": "proof_of_receipt"})
    assert_document_shape(doc._attributes, version, d.id)
    assert doc.filename == "statement.pdf"
    if version != "2017-11-02" or "kind" in doc._attributes:
        assert doc.kind == "proof_of_receipt"


def test_upload_keeps_a_unicode_filename_for_display(version):
    d = fresh_dispute()
    name = "reçu de livraison ✓ 2024.png"
    doc = d.upload_document({"file": (name, PNG, "image/png")})
    assert doc.filename == name
    assert omise.Document.retrieve(d.id, doc.id).filename == name


def test_upload_of_a_file_that_is_not_png_jpeg_or_pdf_is_refused(version):
    d = fresh_dispute()
    with pytest.raises(errors.BaseError):
        d.upload_document({"file": ("evidence.png", TEXT, "image/png")})
    r = raw("POST", "/disputes/%s/documents" % d.id, files={"file": ("evidence.png", TEXT, "image/png")})
    assert error_of(r) == (400, "invalid_file_type")
    assert r.json()["message"] == "invalid content-type"
    assert len(list(d.list_documents())) == 0


def test_a_pdf_a_card_network_would_refuse_is_refused_with_the_reason(version):
    # The demo invoice cut short: damaged, as a truncated download or a failed scan leaves it.
    d = fresh_dispute()
    with pytest.raises(errors.BaseError) as refused:
        d.upload_document({"file": ("invoice.pdf", PDF[: len(PDF) // 2], "application/pdf")})
    assert "damaged" in str(refused.value)
    r = raw("POST", "/disputes/%s/documents" % d.id, files={"file": ("invoice.pdf", PDF[: len(PDF) // 2])})
    assert error_of(r) == (400, "invalid_file_type")
    assert r.json()["message"].startswith("the PDF is damaged or incomplete")
    assert len(list(d.list_documents())) == 0


def test_page_count_and_preview_uri_come_through_the_client(version):
    d = fresh_dispute()
    doc = d.upload_document({"file": ("invoice.pdf", PDF)})
    assert doc.page_count == 1
    again = omise.Document.retrieve(d.id, doc.id)
    assert again.page_count == 1
    preview = requests.get(again.preview_uri, timeout=30)
    assert preview.status_code == 200
    assert preview.headers["Content-Type"] == "image/png" and preview.content.startswith(b"\x89PNG")
    assert preview.headers["ETag"] and "max-age" in preview.headers["Cache-Control"]


def test_list_documents_iterates_the_uploaded_documents_in_order(version):
    d = fresh_dispute()
    uploaded = [
        d.upload_document({"file": ("doc-%d.png" % i, PNG, "image/png")}).id for i in range(3)
    ]
    listed = list(d.list_documents())
    assert [x.id for x in listed] == uploaded
    assert [x.filename for x in listed] == ["doc-0.png", "doc-1.png", "doc-2.png"]
    for x in listed:
        assert isinstance(x, omise.Document)
        assert_document_shape(x._attributes, version, d.id)
    assert len(d.list_documents()) == 3
    newest = d.list_documents().offset(limit=2, offset=0, order="reverse_chronological")
    assert [x.id for x in newest] == uploaded[::-1][:2]


def test_list_documents_pages_past_100_documents(omise_client):
    d = fresh_dispute()
    uploaded = [
        d.upload_document({"file": ("page-%03d.png" % i, PNG, "image/png")}).id for i in range(101)
    ]
    listed = [x.id for x in d.list_documents()]
    assert listed == uploaded
    assert len(d.list_documents()) == 101
    assert d.reload().documents.total == 101
    assert len(d.documents) == 20  # the embedded list is its first page


def test_list_documents_of_a_demo_dispute(version):
    for dispute_id, document_id in DEMO_OPEN.items():
        d = omise.Dispute.retrieve(dispute_id)
        assert document_id in [x.id for x in d.list_documents()]


def test_document_retrieve_and_reload(version):
    d = fresh_dispute()
    up = d.upload_document({"file": ("evidence.png", PNG), "kind": (None, "cardholder_details")})
    doc = omise.Document.retrieve(d.id, up.id)
    assert isinstance(doc, omise.Document)
    assert doc.id == up.id and doc.filename == "evidence.png"
    assert_document_shape(doc._attributes, version, d.id)
    doc._attributes["filename"] = "scribbled"
    assert doc.reload() is doc
    assert doc.filename == "evidence.png" and doc.id == up.id


def test_document_retrieve_of_a_demo_document(version):
    # the ruby example of seed 000: dispute.documents.retrieve("docu_test_53f7n2a4rzvii1p8tn7")
    doc = omise.Document.retrieve("dspt_test_4zgf15h89w8t775kcm8", "docu_test_53f7n2a4rzvii1p8tn7")
    assert doc.id == "docu_test_53f7n2a4rzvii1p8tn7"
    assert doc.location == "/disputes/dspt_test_4zgf15h89w8t775kcm8/documents/docu_test_53f7n2a4rzvii1p8tn7"
    assert isinstance(doc.filename, str) and doc.filename


def test_document_retrieve_under_another_dispute_is_not_found(version):
    with pytest.raises(errors.NotFoundError):
        omise.Document.retrieve("dspt_test_5g5ih3pybo7v4wwrbjw", "docu_test_53f7n2a4rzvii1p8tn7")
    with pytest.raises(errors.NotFoundError):
        omise.Document.retrieve("dspt_test_5g5ih3pybo7v4wwrbjw", "docu_test_" + "0" * 19)


def test_destroy_deletes_the_document_for_good(version):
    d = fresh_dispute()
    keep = d.upload_document({"file": ("keep.png", PNG)})
    doc = d.upload_document({"file": ("mistake.pdf", PDF)})
    uri = omise.Document.retrieve(d.id, doc.id)._attributes.get("download_uri")
    doc = omise.Document.retrieve(d.id, doc.id)
    assert doc.destroyed is False
    returned = doc.destroy()
    assert returned is doc
    assert doc.id != keep.id and doc.destroyed is True
    assert doc._attributes["deleted"] is True and doc.object == "document"
    with pytest.raises(errors.NotFoundError):
        omise.Document.retrieve(d.id, doc.id)
    assert [x.id for x in d.list_documents()] == [keep.id]
    assert [x.id for x in d.reload().documents] == [keep.id]
    stale = omise.Document.from_data(
        {"object": "document", "id": doc.id, "location": "/disputes/%s/documents/%s" % (d.id, doc.id)}
    )
    with pytest.raises(errors.NotFoundError):
        stale.destroy()
    if uri:
        assert requests.get(uri, timeout=30).status_code == 404


def test_download_uri_serves_the_file_without_the_secret_key(omise_client):
    omise_client.api_version = "2019-05-29"
    d = fresh_dispute()
    doc = d.upload_document({"file": ('a "quoted"/../name.png', PNG, "text/plain")})
    # urllib3 2.x (like browsers and curl) sends `"` as %22 in the multipart filename; the
    # server may decode it back or keep it as sent
    assert doc.filename in ('a "quoted"/../name.png', "a %22quoted%22/../name.png")
    assert doc.content_type == "image/png" and doc.size == len(PNG)
    assert doc.sha256 == hashlib.sha256(PNG).hexdigest()
    r = requests.get(doc.download_uri, timeout=30)
    assert r.status_code == 200
    assert r.content == PNG
    assert r.headers["Content-Type"] == "image/png"
    assert r.headers["Content-Length"] == str(len(PNG))
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert "/" not in r.headers["Content-Disposition"]
    digest = base64.b64encode(hashlib.sha256(PNG).digest()).decode()
    assert r.headers["Repr-Digest"] == "sha-256=:%s:" % digest
    tampered = doc.download_uri[:-2] + ("aa" if not doc.download_uri.endswith("aa") else "bb")
    assert 400 <= requests.get(tampered, timeout=30).status_code < 500


def test_documents_are_frozen_once_the_dispute_is_pending(version):
    d = fresh_dispute()
    doc = d.upload_document({"file": ("evidence.png", PNG)})
    d.update(message="here is our evidence")
    assert d.status == "pending"
    with pytest.raises(errors.BaseError):
        d.upload_document({"file": ("late.png", PNG)})
    r = raw("POST", "/disputes/%s/documents" % d.id, files={"file": ("late.png", PNG)})
    assert error_of(r) == (422, "dispute_not_open")
    with pytest.raises(errors.BaseError):
        omise.Document.retrieve(d.id, doc.id).destroy()
    r = raw("DELETE", "/disputes/%s/documents/%s" % (d.id, doc.id))
    assert error_of(r)[0] == 422 and error_of(r)[1] in ("dispute_not_open", "document_already_submitted")
    assert [x.id for x in d.list_documents()] == [doc.id]


def test_documents_of_an_accepted_dispute_cannot_change(version):
    d = fresh_dispute()
    doc = d.upload_document({"file": ("evidence.png", PNG)})
    d.accept()
    with pytest.raises(errors.BaseError):
        d.upload_document({"file": ("late.png", PNG)})
    with pytest.raises(errors.BaseError):
        omise.Document.retrieve(d.id, doc.id).destroy()
    assert [x.id for x in d.list_documents()] == [doc.id]


def test_reopened_dispute_takes_new_documents_but_keeps_submitted_ones(version):
    d = fresh_dispute()
    submitted = d.upload_document({"file": ("first.png", PNG)})
    d.update(message="first round")
    ops("/disputes/%s/reopen" % d.id)
    d.reload()
    assert d.status == "open"
    extra = d.upload_document({"file": ("second.pdf", PDF), "kind": (None, "proof_of_acceptance")})
    assert extra.filename == "second.pdf"
    r = raw("DELETE", "/disputes/%s/documents/%s" % (d.id, submitted.id))
    assert error_of(r) == (422, "document_already_submitted")
    with pytest.raises(errors.BaseError):
        omise.Document.retrieve(d.id, submitted.id).destroy()
    gone = omise.Document.retrieve(d.id, extra.id).destroy()
    assert gone.destroyed is True
    assert [x.id for x in d.list_documents()] == [submitted.id]


def test_another_account_cannot_see_or_touch_the_documents(omise_client):
    omise_client.api_secret = OTHER_KEY
    dispute_id, document_id = "dspt_test_4zgf15h89w8t775kcm8", "docu_test_53f7n2a4rzvii1p8tn7"
    with pytest.raises(errors.NotFoundError):
        omise.Document.retrieve(dispute_id, document_id)
    r = raw("DELETE", "/disputes/%s/documents/%s" % (dispute_id, document_id), key=OTHER_KEY)
    assert error_of(r) == (404, "not_found")
    r = raw("POST", "/disputes/%s/documents" % dispute_id, key=OTHER_KEY, files={"file": ("x.png", PNG)})
    assert error_of(r) == (404, "not_found")
    r = raw("GET", "/disputes/%s/documents" % dispute_id, key=OTHER_KEY)
    assert error_of(r) == (404, "not_found")
    omise_client.api_secret = "skey_test_4xs8breq3htbkj03d2x"
    assert omise.Document.retrieve(dispute_id, document_id).id == document_id


def test_a_filename_with_quotes_and_line_breaks_comes_back_as_it_was_named():
    # urllib3 2 (under requests, under the client) escapes ", CR and LF in multipart filenames as
    # %22, %0D and %0A (WHATWG); the server undoes exactly those three.
    d = fresh_dispute()
    doc = d.upload_document({"file": ('receipt "final"\r\n.png', PNG, "image/png")})
    assert doc.filename == 'receipt "final"\r\n.png'
    assert d.documents.retrieve(doc.id).filename == 'receipt "final"\r\n.png'
