"""Schemathesis hooks for the Mangopay passes of tests/fuzz/run (openapi-mangopay.json, under /v2.01).

Loaded instead of hooks.py by the Mangopay passes' schemathesis.toml, so the Omise checks and
waivers never see a Mangopay response, and these never see an Omise one.

1. Real objects: the config's dictionaries put seeded ids into `DisputeId`/`DocumentId`/`Token`
   path parameters some of the time; these hooks make the pairs consistent, so a seeded document
   is asked for under its own dispute, and a seeded consult token under its own document and page.
   (`ClientId` is always the demo client's, by the config's `[parameters]`.)
2. Waivers (`filter_failure`): the data-acceptance checks flag a few refusals that are the
   contract, not bugs, and that a JSON schema cannot state (state rules, cross-field rules).
   Each is narrow and named below. Known bugs of the server or of openapi-mangopay.json are
   waived too, each as narrowly, each in a clause marked "BUG" with its reproduction, so that the
   rest runs (listed in tests/fuzz/README.md; FUZZ_KNOWN_BUGS=fail turns those clauses off).
3. `mangopay_wire`: the wire contract of MANGOPAY.md §2.6, §4, §6.4 and §7 that the OpenAPI
   document does not say: `Content-Type: application/json; charset=utf-8` on every JSON answer;
   every error a Mangopay error body (`Message`, `Type`, `Id`, `Date` and `errors`, an object or
   null) whose `Type` goes with the status; no success body with a top-level `errors`; every list
   a JSON array with `X-Number-Of-Items`, `X-Number-Of-Pages` and `Link`; a 204 with an empty body;
   tokens `Bearer` and longer than 60 s; consulted pages as their bytes.

The run script writes the seeded objects (including the consult tokens it fetched from the
running server) to the JSON file named by $FUZZ_SEEDED.
"""

from __future__ import annotations

import json
import math
import os
import re
from urllib.parse import parse_qsl, unquote, urlsplit

import schemathesis

_SEEDED = {}
if os.environ.get("FUZZ_SEEDED"):
    with open(os.environ["FUZZ_SEEDED"], encoding="utf-8") as fd:
        _SEEDED = json.load(fd)

# FUZZ_KNOWN_BUGS=fail turns off every "BUG" clause below (the waivers of known server and
# document bugs), to see whether they are fixed.
WAIVE_KNOWN_BUGS = os.environ.get("FUZZ_KNOWN_BUGS", "waive") != "fail"

# document id -> dispute id; consult token -> [document id, page position]
DOCUMENT_OWNER: dict[str, str] = _SEEDED.get("document_owner", {})
TOKEN_OWNER: dict[str, list] = _SEEDED.get("token_owner", {})
SEEDED_DISPUTES = set(_SEEDED.get("disputes", []))

# The GET lists of MANGOPAY.md §4 #1–3, #9–11 (relative to /v2.01).
LIST_PATHS = {
    "/{ClientId}/disputes",
    "/{ClientId}/disputes/pendingsettlement",
    "/{ClientId}/users/{Id}/disputes",
    "/{ClientId}/wallets/{Id}/disputes",
    "/{ClientId}/payins/{Id}/disputes",
    "/{ClientId}/disputes/{DisputeId}/transactions",
    "/{ClientId}/disputes/{DisputeId}/documents",
    "/{ClientId}/dispute-documents",
    "/{ClientId}/hooks",
    "/{ClientId}/events",
}
CONSULTED_PAGE = "/consult/{DocumentId}/{Position}/{Token}"


def _is_list(case):
    return case.operation.method.upper() == "GET" and case.operation.path in LIST_PATHS


@schemathesis.hook
def map_path_parameters(context, path_parameters):
    if not path_parameters:
        return path_parameters
    token = path_parameters.get("Token")
    document = path_parameters.get("DocumentId")
    if isinstance(token, str) and token in TOKEN_OWNER:
        path_parameters["DocumentId"], path_parameters["Position"] = TOKEN_OWNER[token]
    elif (
        isinstance(document, str)
        and document in DOCUMENT_OWNER
        and path_parameters.get("DisputeId") in SEEDED_DISPUTES
    ):
        # A seeded dispute with a seeded document: make it the document's own dispute. (A random
        # dispute id with a seeded document stays as drawn: that is the 404 case.)
        path_parameters["DisputeId"] = DOCUMENT_OWNER[document]
    return path_parameters


def _error_body(response):
    try:
        body = json.loads(response.content)
    except (ValueError, TypeError):
        return None
    return body if isinstance(body, dict) else None


def _known_bug(failure, case, response):
    """A known server or document bug this failure is an instance of, or None. Each is reported
    (tests/fuzz/README.md, "Known bugs"); remove its clause once it is fixed."""
    kind = type(failure).__name__
    status = response.status_code
    body = _error_body(response) or {}
    errors = body.get("errors") if isinstance(body.get("errors"), dict) else {}
    # BUG (document): the lists' Status filter is declared as any string, but only the dialect's
    # values are taken (MANGOPAY.md §6.3: an invalid enum value is 400), correctly.
    if (
        kind == "RejectedPositiveData"
        and status == 400
        and _is_list(case)
        and set(errors) == {"Status"}
        and str(body["errors"]["Status"]).endswith("is not a valid Status")
    ):
        return "BUG (document): the Status filter is declared as any string"
    return None


def _has_nul(value):
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _waiver(failure, case, response):
    """Why this failure is not the server's fault, or None."""
    known = _known_bug(failure, case, response) if WAIVE_KNOWN_BUGS else None
    if known:
        return known
    kind = type(failure).__name__
    # A JSON body of `null` is taken as no body, i.e. no parameters (src/mangopay/mod.rs `Body`,
    # as the Omise dialect does: hooks.py), so `null` for updateDispute changes nothing. (The
    # coverage phase words it "violates `type` (was object, became null)".)
    message = failure.message or ""
    if (
        kind == "AcceptedNegativeData"
        and case.body is None
        and case.media_type == "application/json"
        and ("incorrect type" in message or ("violates `type`" in message and "became null" in message))
    ):
        return "a null JSON body means no body"
    if kind == "RejectedPositiveData":
        body = _error_body(response) or {}
        errors = body.get("errors") if isinstance(body.get("errors"), dict) else {}
        fields = set(errors)
        # The state guard refuses by state, not by shape (MANGOPAY.md §4.1, §7: wrong state is
        # 400 param_error on `Status`): a document on a dispute no longer awaiting the client, a
        # page on a submitted document, a document submitted with no page, a closed dispute
        # contested or closed again.
        if (
            response.status_code == 400
            and body.get("Type") == "param_error"
            and fields == {"Status"}
            and not _is_list(case)
        ):
            if case.operation.path != "/{ClientId}/disputes/{DisputeId}/documents/{DocumentId}" or (
                isinstance(case.body, dict) and case.body.get("Status") == "VALIDATION_ASKED"
            ):
                return "a state rule: " + str(errors["Status"])[:80]
        # Contest (#6): ContestedFunds is required on a first submission of a CONTESTABLE dispute,
        # in the dispute's currency, 0 < Amount <= DisputedFunds.Amount (MANGOPAY.md §4.1 #6):
        # rules on the dispute, not on the body's shape.
        if (
            response.status_code == 400
            and case.operation.path == "/{ClientId}/disputes/{DisputeId}/submit"
            and fields
            and all(f == "Status" or f.split(".")[0] == "ContestedFunds" for f in fields)
        ):
            return "a rule on the dispute: " + "; ".join(f"{f}: {errors[f]}" for f in sorted(fields))[:80]
        # U+0000 cannot be stored by Postgres (text, jsonb): refused anywhere in a JSON body, in
        # fields the endpoint ignores too, as the Omise dialect does (hooks.py). Only when the
        # request really carried one (a `\u0000` spelled out in text is a string like any other).
        if fields == {"body"} and "NUL" in str(errors["body"]) and _has_nul(case.body):
            return "a rule no schema states: NUL characters are refused"
        # One hook per EventType (EVENTS.md §3.1): a second is refused, whatever its shape.
        if (
            response.status_code == 400
            and case.operation.path == "/{ClientId}/hooks"
            and fields == {"EventType"}
            and "already been registered" in str(errors["EventType"])
        ):
            return "a rule no schema states: one hook per EventType"
        # Events (EVENTS.md §3.4) are searchable 45 days back: a date before that is refused,
        # relative to now, which no schema can state.
        if (
            response.status_code == 400
            and case.operation.path == "/{ClientId}/events"
            and fields <= {"AfterDate", "BeforeDate"}
            and all("older than 45 days" in str(errors[f]) for f in fields)
        ):
            return "a rule no schema states: events are searchable 45 days back"
        # A page (#14): `File` is any string to the schema; the server wants standard base64 of a
        # PDF, JPEG, GIF or PNG of 1 KB to 7 MB (MANGOPAY.md §7: 400, 413, 415 on File).
        if (
            response.status_code in (400, 413, 415)
            and case.operation.path.endswith("/pages")
            and fields == {"File"}
        ):
            return f"a page's bytes: {response.status_code} on File"
    return None


@schemathesis.hook
def filter_failure(context, failure, case, response):
    reason = _waiver(failure, case, response)
    if reason is None:
        return True
    if os.environ.get("FUZZ_WAIVED"):
        with open(os.environ["FUZZ_WAIVED"], "a", encoding="utf-8") as fd:
            reason = re.sub(r"\b(dspt|docu|trxn)_[0-9a-z_]+", r"\1_…", reason)
            fd.write(f"{type(failure).__name__}\t{case.operation.label}\t{reason}\n")
    return False


# MANGOPAY.md §7 (and "ours" there): error Type -> HTTP status.
ERROR_STATUS = {
    "param_error": 400,
    "invalid_credentials": 401,
    "ressource_not_found": 404,
    "method_not_allowed": 405,
    "idempotent_creation_conflict": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "internal_error": 500,
    "service_unavailable": 503,
}
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
PAGE_CONTENT_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif"}
ERROR_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}#\d+$")
# Things a safe message never contains: SQL, file system paths, Rust internals.
# (Unless the request itself said it: messages may quote a malformed id.)
LEAKS = re.compile(
    r"(?i)\bselect\b.+\bfrom\b|\binsert into\b|\bupdate \w+ set\b|\bdelete from\b|sqlx|sqlite|"
    r"postgres|panicked|backtrace|/src/|\.rs:\d|/tmp/|/home/|/work/|called `(Option|Result)::unwrap"
)


def _header(response, name):
    """The first value of a response header (schemathesis keeps lowercase names, list values)."""
    values = response.headers.get(name)
    if isinstance(values, list):
        return values[0] if values else None
    return values


def _request_text(response):
    request = response.request
    body = request.body or b""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    return unquote(request.url or "") + str(body)


def _query(url):
    """The query's (name, value) pairs, names as the server reads them: lowercase, no `[]`."""
    pairs = []
    for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        bare = name.lower()
        while bare.endswith("[]"):
            bare = bare[:-2]
        pairs.append((bare, value))
    return pairs


def _int(value):
    try:
        return int(value.strip())
    except ValueError:
        return None


def _paging(url):
    """page and per_page as the server reads them (names in any case, the last one counts)."""
    page, per_page = 1, 10
    for name, value in _query(url):
        if name == "page" and _int(value) is not None:
            page = _int(value)
        elif name == "per_page" and _int(value) is not None:
            per_page = min(_int(value), 100)
    return page, per_page


def _check_list(response, body):
    """MANGOPAY.md §4.1 and §6.4: an array, and the paging headers that describe it."""
    if not isinstance(body, list):
        raise AssertionError(f"a list answered a JSON {type(body).__name__}, not an array (MANGOPAY.md §4.1)")
    items, pages, link = (_header(response, h) for h in ("x-number-of-items", "x-number-of-pages", "link"))
    missing = [h for h, v in (("X-Number-Of-Items", items), ("X-Number-Of-Pages", pages), ("Link", link)) if v is None]
    if missing:
        raise AssertionError(f"a list answer lacks {', '.join(missing)} (MANGOPAY.md §6.4)")
    if not (items.isdigit() and pages.isdigit()):
        raise AssertionError(f"X-Number-Of-Items {items!r} / X-Number-Of-Pages {pages!r} are not counts")
    page, per_page = _paging(response.request.url)
    total = int(items)
    if int(pages) != math.ceil(total / per_page):
        raise AssertionError(f"X-Number-Of-Pages {pages} for {total} items at {per_page} a page")
    expected = max(0, min(per_page, total - (page - 1) * per_page))
    if len(body) != expected:
        raise AssertionError(f"page {page} of {total} items at {per_page} a page has {len(body)} items, not {expected}")
    rels = {}
    for part in link.split(", "):
        match = re.fullmatch(r'<(https?://[^>]+)>; rel="(first|prev|next|last)"', part.strip())
        if not match:
            raise AssertionError(f"a Link entry is not <absolute URL>; rel=first|prev|next|last: {part[:120]!r}")
        rels[match.group(2)] = match.group(1)
    for rel in ("first", "last"):
        if rel not in rels:
            raise AssertionError(f'Link has no rel="{rel}" (MANGOPAY.md §6.4): {link[:200]!r}')
    if ("next" in rels) != (page < int(pages)):
        raise AssertionError(f'page {page} of {pages}: Link {"has" if "next" in rels else "lacks"} rel="next"')


def _check_page(response, content_type):
    """A consulted page (#16): its bytes, with their type and length."""
    media = content_type.split(";")[0].strip().lower()
    if media not in PAGE_CONTENT_TYPES:
        raise AssertionError(f"a consulted page answered 200 with Content-Type {content_type!r}")
    length = _header(response, "content-length")
    if length is None:
        raise AssertionError("a consulted page has no Content-Length")
    if response.request.method != "HEAD" and len(response.content) == response.content_size:
        if int(length) != len(response.content):
            raise AssertionError(f"Content-Length {length} but {len(response.content)} bytes came")


def _check_error(response, case, body):
    """MANGOPAY.md §7: the error body, with a Type that goes with the status."""
    status = response.status_code
    if not isinstance(body, dict):
        raise AssertionError(f"a {status} body is not a JSON object: {str(body)[:200]}")
    missing = [k for k in ("Message", "Type", "Id", "Date", "errors") if k not in body]
    if missing:
        raise AssertionError(f"a {status} error body lacks {', '.join(missing)} (MANGOPAY.md §7): {str(body)[:200]}")
    kind, message, errors = body["Type"], body["Message"], body["errors"]
    if kind not in ERROR_STATUS:
        raise AssertionError(f"unknown error Type {kind!r} (MANGOPAY.md §7)")
    if ERROR_STATUS[kind] != status:
        raise AssertionError(f"Type {kind!r} came with HTTP {status}; MANGOPAY.md §7 says {ERROR_STATUS[kind]}")
    if not isinstance(message, str) or not message.strip():
        raise AssertionError("the error Message is empty")
    if not isinstance(body["Id"], str) or not ERROR_ID.match(body["Id"]):
        raise AssertionError(f"the error Id {body['Id']!r} is not <uuid>#<unix seconds>")
    if not isinstance(body["Date"], int) or isinstance(body["Date"], bool):
        raise AssertionError(f"the error Date {body['Date']!r} is not integer Unix seconds")
    if errors is not None and not isinstance(errors, dict):
        raise AssertionError(f"`errors` is {type(errors).__name__}, not an object or null (MANGOPAY.md §7)")
    if isinstance(errors, dict) and not all(isinstance(v, str) for v in errors.values()):
        raise AssertionError(f"`errors` maps a field to something else than a reason: {str(errors)[:200]}")
    if kind == "param_error" and not errors:
        raise AssertionError("a param_error names no field in `errors` (MANGOPAY.md §7)")
    if kind == "invalid_credentials" and errors is not None:
        raise AssertionError(f"invalid_credentials with errors {errors!r}; MANGOPAY.md §7 says null")
    text = " ".join([message, *(f"{k} {v}" for k, v in (errors or {}).items())])
    leak = LEAKS.search(text)
    if leak and leak.group(0).lower() not in _request_text(response).lower():
        raise AssertionError(f"the error looks like it leaks internals: {text[:200]!r}")


@schemathesis.check
def mangopay_wire(ctx, response, case):
    """Mangopay wire contract: JSON content type, error bodies, lists with paging headers, empty 204s."""
    status = response.status_code
    path = case.operation.path
    method = response.request.method
    content_type = _header(response, "content-type") or ""
    if status == 204:
        if response.content:
            raise AssertionError(f"a 204 came with a {len(response.content)}-byte body (MANGOPAY.md §4 #14)")
        return None
    if status == 200 and path == CONSULTED_PAGE:
        _check_page(response, content_type)
        return None
    if content_type != JSON_CONTENT_TYPE:
        raise AssertionError(
            f"Content-Type is {content_type!r}, MANGOPAY.md §2.6 wants {JSON_CONTENT_TYPE!r} on every JSON answer"
        )
    if method == "HEAD":
        return None
    try:
        body = json.loads(response.content)
    except ValueError as error:
        raise AssertionError(f"the body is not JSON ({error}); MANGOPAY.md §7: never a non-JSON body") from None
    if status >= 400:
        _check_error(response, case, body)
        return None
    if status != 200:
        raise AssertionError(f"HTTP {status}: every success is 200 with a JSON body, or 204 for a page (MANGOPAY.md §4)")
    if isinstance(body, dict) and "errors" in body:
        raise AssertionError("a success body has a top-level `errors` key (MANGOPAY.md §2.6)")
    if _is_list(case):
        _check_list(response, body)
    elif path == "/oauth/token":
        if not isinstance(body, dict):
            raise AssertionError(f"a token answer is a JSON {type(body).__name__}, not an object")
        if body.get("token_type") != "Bearer":
            raise AssertionError(f"token_type is {body.get('token_type')!r}, not 'Bearer' (MANGOPAY.md §3.1)")
        expires_in = body.get("expires_in")
        if not isinstance(expires_in, int) or expires_in <= 60:
            raise AssertionError(f"expires_in {expires_in!r} must be an integer over 60 (MANGOPAY.md §3.1)")
    elif path.endswith("/consult"):
        if not isinstance(body, list):
            raise AssertionError("a consult answer is not a JSON array (MANGOPAY.md §4.1 #16)")
    elif not isinstance(body, dict):
        raise AssertionError(f"a 200 body is a JSON {type(body).__name__}, not an object")
    return None
