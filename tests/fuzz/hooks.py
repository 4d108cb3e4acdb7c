"""Schemathesis hooks for tests/fuzz/run (loaded through the generated schemathesis.toml).

1. Real objects: the config's dictionaries put seeded ids into `id`/`document`/`token` path
   parameters some of the time; these hooks make the pairs consistent, so a seeded document is
   asked for under its own dispute and a seeded download token under its own document.
2. Requests the wire cannot carry are made sendable (`map_case`): in a form body a JSON null
   can only be said by leaving the field out (schemathesis would send the text "null"), and a
   multipart part name with control characters is not a valid header (RFC 9110), so such extra
   parts are dropped. Uploads draw the demo fixture's real PNG, JPEG and PDF (files that pass
   the checks of FILES.md §2) for the media types the document declares for `file`
   (`encoding.file.contentType`), when it declares them, or a type's magic bytes and anything.
3. Waivers (`filter_failure`): the data-acceptance checks flag a few things that are the
   contract, not bugs, and that a JSON schema cannot state. Each is narrow and named below. So
   are a few known bugs (`KNOWN_BUGS`), waived so that the rest runs until they are fixed.
4. `omise_wire`: the wire contract of SPEC §2 and §4 that the OpenAPI document cannot say:
   every JSON response has `Content-Type: application/json; charset=utf-8`, every non-200 is an
   Omise error object whose `location` matches its `code` and whose `code` goes with the HTTP
   status of SPEC's table, messages carry no internals, and 401s ask for Basic auth.

The run script writes the seeded objects (including the download tokens it fetched from the
running server) to the JSON file named by $FUZZ_SEEDED.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from urllib.parse import parse_qsl, unquote

import schemathesis
from hypothesis import strategies as st

_SEEDED = {}
if os.environ.get("FUZZ_SEEDED"):
    with open(os.environ["FUZZ_SEEDED"], encoding="utf-8") as fd:
        _SEEDED = json.load(fd)

# document id -> dispute id, download token -> (dispute id, document id)
DOCUMENT_OWNER: dict[str, str] = _SEEDED.get("document_owner", {})
TOKEN_OWNER: dict[str, list[str]] = _SEEDED.get("token_owner", {})
SEEDED_DISPUTES = set(_SEEDED.get("disputes", []))


@schemathesis.hook
def map_path_parameters(context, path_parameters):
    if not path_parameters:
        return path_parameters
    token = path_parameters.get("token")
    document = path_parameters.get("document")
    if isinstance(token, str) and token in TOKEN_OWNER:
        path_parameters["id"], path_parameters["document"] = TOKEN_OWNER[token]
    elif (
        isinstance(document, str)
        and document in DOCUMENT_OWNER
        and path_parameters.get("id") in SEEDED_DISPUTES
    ):
        # A seeded dispute with a seeded document: make it the document's own dispute. (A random
        # dispute id with a seeded document stays as drawn: that is the 404 case.)
        path_parameters["id"] = DOCUMENT_OWNER[document]
    return path_parameters


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


@schemathesis.hook
def map_case(context, case):
    body = case.body
    if not isinstance(body, dict):
        return case
    if case.media_type == "application/x-www-form-urlencoded":
        case.body = {key: value for key, value in body.items() if value is not None}
    elif case.media_type == "multipart/form-data":
        case.body = {key: value for key, value in body.items() if not CONTROL_CHARACTERS.search(str(key))}
    return case


# The server tells the type from the first bytes (SPEC §6), then checks the file (FILES.md §2):
# a real file, or the magic and anything (refused by the checks, see `_waiver`).
def _file(magic: bytes, samples: list[bytes]):
    return st.one_of(st.sampled_from(samples), st.binary(max_size=256).map(lambda tail: magic + tail))


def _fixture(name: str) -> bytes:
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "files", name)
    with open(path, "rb") as fd:
        return fd.read()


schemathesis.openapi.media_type("image/png", _file(b"\x89PNG\r\n\x1a\n", [_fixture("receipt.png")]))
schemathesis.openapi.media_type("image/jpeg", _file(b"\xff\xd8\xff", [_fixture("delivery-slip.jpg")]))
schemathesis.openapi.media_type("application/pdf", _file(b"%PDF-", [_fixture("invoice.pdf")]))


# Messages of refusals that depend on other fields or on state, or that no JSON schema of the
# document can state, not on the shape of the request.
CROSS_FIELD_REFUSALS = (
    re.compile(r"^from must not be later than to$"),  # SPEC §4: from > to is bad_request
    re.compile(r"^charge \S+ is already disputed$"),  # one dispute per charge
    re.compile(r"^the charge id's mode and mode differ$"),  # ops: `mode` must match the charge id
    # U+0000 cannot be stored by Postgres (text, jsonb); refused in any string, metadata included.
    re.compile(r"\bmust not contain NUL\b"),
    # ops: a ClientId is one account's (unique), and a Mangopay key needs its account's ClientId.
    re.compile(r"^client_id \S+ belongs to another account$"),
    re.compile(r"^the account has no client_id: set one first$"),
    # ops webhooks: a live endpoint must be https (the mode and the URL together).
    re.compile(r"^url must be https in live mode$"),
    # ops webhooks: one endpoint per URL of an account and mode (a state rule).
    re.compile(r"^\S+ has an endpoint already$"),
    # search (SEARCH.md §2.2, §4): a range's ends in order, a date on the calendar (not 02-30),
    # within 1970 to 9999 once its UTC offset is applied: invalid_filter.
    re.compile(r"^filters\[\w+\] is a range whose first end is (above|after) its last$"),
    re.compile(r"^filters\[(created|created_at|closed_at)\] must (be a date|fall between)"),
)
# What the checks of FILES.md §2 say when they refuse a file (src/files/check.rs `Refusal`).
CHECKS_REFUSAL = re.compile(
    r"^(the PDF |an image in the PDF |the image |the file took too long |the file cannot be read)"
)
# Known bugs (tests/fuzz/README.md, "Known bugs"): 400 refusals of valid requests, waived as
# narrowly so that the rest runs; the waiver list names them "BUG". FUZZ_KNOWN_BUGS=fail turns
# them off (to see whether they are fixed); remove a rule once its bug is.
KNOWN_BUGS = (
    # BUG (document): openapi.json declares the ops `reason_type` (POST /ops/disputes, Mangopay's
    # DisputeReasonType; POST …/refuse, RefusedReasonType) as any string, but the server takes
    # only the known values: curl -X POST -H "Authorization: Bearer $OPS_TOKEN" -H
    # 'Content-Type: application/json' -d '{"reason_type": "x"}' $H/ops/disputes/$D/documents/$DOC/refuse
    (
        re.compile(r"^unknown reason_type "),
        lambda case, names: case.operation.path.startswith("/ops/"),
        "BUG (document): reason_type is declared as any string",
    ),
)
WAIVE_KNOWN_BUGS = os.environ.get("FUZZ_KNOWN_BUGS", "waive") != "fail"


def _form_names(response):
    """The names of a form body as sent."""
    sent = response.request.body or b""
    sent = sent.decode("utf-8", "replace") if isinstance(sent, bytes) else str(sent)
    return [name for name, _ in parse_qsl(sent, keep_blank_values=True)]


def _breaks_path_pattern(case, value):
    """Whether `value` is a path parameter of the case that its declared `pattern` refuses."""
    for parameter in case.operation.path_parameters:
        schema = getattr(parameter, "raw_schema", None) or {}
        pattern = schema.get("pattern") if isinstance(schema, dict) else None
        if (case.path_parameters or {}).get(parameter.name) == value and pattern:
            return re.search(pattern, value) is None
    return False


def _waiver(failure, case, response):
    """Why this failure is not the server's fault, or None."""
    kind = type(failure).__name__
    if kind == "AcceptedNegativeData":
        message = failure.message or ""
        # An empty parameter means "default" (`limit=`, as clients send a null; SPEC §2 and
        # src/omise/params.rs `Params::get`), so `?to=` or `{"mode": ""}` is accepted although
        # "" is no date-time or enum value. (A query value of {} or [] goes out as nothing.)
        match = re.search(r"Invalid component: parameters? ((?:`[^`]+`(?:, )?)+) in query", message)
        if match:
            query = case.query or {}
            names = re.findall(r"`([^`]+)`", match.group(1))
            if all(query.get(name) in ("", None, {}, []) for name in names):
                return "empty query parameter means default: " + ", ".join(sorted(names))
            # A repeated query parameter: the last value counts (`parse_form`), so
            # `offset=x&offset=` is accepted when the last one is.
            if any(isinstance(query.get(name), list) for name in names):
                return "repeated query parameter: the last value counts"
        if "Invalid component: in body" in message and isinstance(case.body, dict):
            names = re.findall(r"at /properties/([^/\s`]+)", message) or re.findall(
                r"in body - ([^:\s`]+): ", message
            )
            if names and all(case.body.get(name) in ("", None) for name in names):
                return "empty body parameter means default: " + ", ".join(sorted(set(names)))
        # A JSON body of `null` means "no parameters" (SPEC §2: null means default).
        if case.body is None and case.media_type == "application/json" and "incorrect type" in message:
            return "a null JSON body means no parameters"
        # schemathesis 4.32.5 marks some fuzzed multipart cases negative although it generated
        # them positive (an `encoding.contentType` form) and says so itself.
        if "Invalid component: positive test case" in message and case.media_type == "multipart/form-data":
            return "schemathesis: a positive case labelled negative"
    if kind == "RejectedPositiveData" and response.status_code == 400:
        try:
            message = json.loads(response.content).get("message", "")
        except (ValueError, AttributeError):
            return None
        # Form field names nest with brackets (SPEC §2: `metadata[k]=v`), so extra names sent as
        # `x[]` and `x[y]` in one form (schemathesis writes a nested value so, and generated names
        # may hold brackets themselves) say `x` is a list and a map at once: refused.
        names = _form_names(response)
        if message.startswith("malformed parameters: ") and case.media_type == "application/x-www-form-urlencoded":
            if sum(1 for name in names if "[" in name or "]" in name) >= 2:
                return "form names with brackets nest, and these nest two ways at once"
            # A name whose `[` never closes (`h[`) is not a name of that grammar at all.
            if any(name.count("[") != name.count("]") for name in names):
                return "form names with brackets nest, and an unclosed bracket is malformed"
        # schemathesis 4.32.5's stateful phase feeds a value from an inferred link (a document id)
        # into another path parameter (the dispute `id`) and counts the request as positive,
        # although the value breaks that parameter's declared pattern (`^dspt_(test_)?…`): a
        # malformed id is 400 bad_request, which the operation declares.
        match = re.fullmatch(r"(\S+) is not a valid ([a-z]+) id", message)
        if match and _breaks_path_pattern(case, match.group(1)):
            return "schemathesis: a linked value breaking a path parameter's pattern counted positive"
        # FILES.md §2: the checks judge what a file is (a PDF that parses, with pages and no
        # active content; an image whose size reads), which a `format: binary` schema cannot say.
        if (
            case.operation.path == "/disputes/{id}/documents"
            and json.loads(response.content).get("code") == "invalid_file_type"
            and CHECKS_REFUSAL.search(message)
        ):
            return "a file the checks refuse (FILES.md §2): " + message.split(":")[0]
        if any(rule.search(message) for rule in CROSS_FIELD_REFUSALS):
            return f"a rule no schema states: {message}"
        for rule, applies, bug in KNOWN_BUGS if WAIVE_KNOWN_BUGS else ():
            if rule.search(message) and applies(case, names):
                return bug
    return None


@schemathesis.hook
def filter_failure(context, failure, case, response):
    reason = _waiver(failure, case, response)
    if reason is None:
        return True
    if os.environ.get("FUZZ_WAIVED"):
        with open(os.environ["FUZZ_WAIVED"], "a", encoding="utf-8") as fd:
            reason = re.sub(r"\b(chrg|dspt|docu|acct|key)_[0-9a-z_]+", r"\1_…", reason)
            fd.write(f"{type(failure).__name__}\t{case.operation.label}\t{reason}\n")
    return False


# SPEC §4: code -> HTTP status.
ERROR_STATUS = {
    "bad_request": 400,
    "invalid_scope": 400,  # SEARCH.md §4
    "invalid_filter": 400,
    "invalid_page": 400,
    "invalid_file_type": 400,
    "authentication_failure": 401,
    "not_found": 404,
    "method_not_allowed": 405,
    "file_too_large": 413,
    "dispute_not_open": 422,
    "dispute_not_pending": 422,
    "document_already_submitted": 422,
    "document_not_submitted": 422,  # the operator reviews only submitted documents
    "evidence_over_budget": 422,  # the packet does not fit its profile (README, the evidence packet)
    "not_configured": 409,  # the operator asked for a rescan on a server without SCAN_URL
    "idempotency_key_in_use": 409,  # beyond Omise: Idempotency-Key (README, safe retries)
    "idempotency_key_reused": 422,
    "too_many_requests": 429,
    "internal_error": 500,
    "service_unavailable": 503,
}
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
FILE_CONTENT_TYPES = {"application/pdf", "image/png", "image/jpeg"}
# Things a safe message never contains: SQL, file system paths, Rust internals.
# (Unless the request itself said it: messages may quote a malformed id.)
LEAKS = re.compile(
    r"(?i)\bselect\b.+\bfrom\b|\binsert into\b|\bupdate \w+ set\b|\bdelete from\b|sqlx|sqlite|"
    r"postgres|panicked|backtrace|/src/|\.rs:\d|/tmp/|/home/|/work/|called `(Option|Result)::unwrap"
)


def _request_text(response):
    request = response.request
    body = request.body or b""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    return unquote(request.url or "") + str(body)


def _header(response, name):
    """The first value of a response header (schemathesis keeps lowercase names, list values)."""
    values = response.headers.get(name)
    if isinstance(values, list):
        return values[0] if values else None
    return values


def _check_download(response, content_type):
    """SPEC §6: the stored bytes as they are, described by Content-Length and Repr-Digest."""
    media = content_type.split(";")[0].strip().lower()
    if media not in FILE_CONTENT_TYPES:
        raise AssertionError(f"a download answered 200 with Content-Type {content_type!r}")
    encoding = _header(response, "content-encoding")
    if encoding and encoding != "identity":
        raise AssertionError(
            f"a download is sent with Content-Encoding: {encoding}, so it has no Content-Length and "
            "its Repr-Digest (of the stored bytes) does not describe the representation sent (RFC 9530)"
        )
    length = _header(response, "content-length")
    if length is None:
        raise AssertionError("a download has no Content-Length (SPEC §6)")
    if not (_header(response, "content-disposition") or "").startswith("attachment"):
        raise AssertionError("a download is not Content-Disposition: attachment (SPEC §6)")
    if _header(response, "x-content-type-options") != "nosniff":
        raise AssertionError("a download lacks X-Content-Type-Options: nosniff (SPEC §6)")
    digest = _header(response, "repr-digest") or ""
    if response.request.method != "HEAD" and len(response.content) == response.content_size:
        if int(length) != len(response.content):
            raise AssertionError(f"Content-Length {length} but {len(response.content)} bytes came")
        expected = "sha-256=:" + base64.b64encode(hashlib.sha256(response.content).digest()).decode() + ":"
        if digest != expected:
            raise AssertionError(f"Repr-Digest {digest!r}, the bytes sent hash to {expected!r}")


def _check_preview(response, content_type):
    """FILES.md §4: a page's preview is a PNG, kept and revalidated by its ETag."""
    if content_type != "image/png":
        raise AssertionError(f"a preview answered 200 with Content-Type {content_type!r}")
    if not _header(response, "etag"):
        raise AssertionError("a preview has no ETag (FILES.md §4)")
    if _header(response, "x-content-type-options") != "nosniff":
        raise AssertionError("a preview lacks X-Content-Type-Options: nosniff")
    if response.request.method != "HEAD" and not response.content.startswith(b"\x89PNG\r\n\x1a\n"):
        raise AssertionError("a preview's body is not a PNG")


@schemathesis.check
def omise_wire(ctx, response, case):
    """Omise wire contract: JSON content type, error objects, codes that match statuses."""
    status = response.status_code
    content_type = _header(response, "content-type") or ""
    path = case.operation.path
    # A document's stored bytes and a built packet (README, the evidence packet) are downloads
    # alike: an attachment with its length and its digest.
    is_download = path.endswith("/downloads/{token}") or path.endswith("/packet")
    if status == 200 and is_download:
        _check_download(response, content_type)
        return None
    if status == 200 and (path.endswith("/previews/{token}") or path.endswith("/preview")):
        _check_preview(response, content_type)
        return None
    if content_type != JSON_CONTENT_TYPE:
        raise AssertionError(
            f"Content-Type is {content_type!r}, SPEC §2 wants {JSON_CONTENT_TYPE!r} on every JSON response"
        )
    if response.request.method == "HEAD":
        return None
    try:
        body = json.loads(response.content)
    except ValueError as error:
        raise AssertionError(f"the body is not JSON ({error})") from None
    if status == 200:
        if case.operation.path == "/openapi.json":
            return None
        if not isinstance(body, dict) or not isinstance(body.get("object"), str):
            raise AssertionError("a 200 body is not a JSON object with an `object` field")
        return None
    if not isinstance(body, dict) or body.get("object") != "error":
        raise AssertionError(f"a {status} body is not an Omise error object: {str(body)[:200]}")
    code = body.get("code")
    message = body.get("message")
    if code not in ERROR_STATUS:
        raise AssertionError(f"unknown error code {code!r} (SPEC §4)")
    if ERROR_STATUS[code] != status:
        raise AssertionError(f"code {code!r} came with HTTP {status}; SPEC §4 says {ERROR_STATUS[code]}")
    expected_location = "https://www.omise.co/api-errors#" + code.replace("_", "-")
    if body.get("location") != expected_location:
        raise AssertionError(f"location {body.get('location')!r} should be {expected_location!r}")
    if not isinstance(message, str) or not message.strip():
        raise AssertionError("the error message is empty")
    leak = LEAKS.search(message)
    if leak and leak.group(0).lower() not in _request_text(response).lower():
        raise AssertionError(f"the error message looks like it leaks internals: {message[:200]!r}")
    if status == 401:
        challenge = _header(response, "www-authenticate")
        if case.operation.path.startswith("/ops/"):
            # The operator API takes a bearer token (RFC 6750 §3).
            if not (challenge or "").startswith("Bearer"):
                raise AssertionError(f"an /ops/ 401 should challenge with Bearer, not {challenge!r}")
            return None
        if challenge != 'Basic realm="dispute-docs"':
            raise AssertionError(f"a 401 without WWW-Authenticate: Basic realm=\"dispute-docs\" (got {challenge!r})")
    return None
