#!/usr/bin/env bash
# The request examples of the Mangopay dispute-document pages (seed 001: the legacy reference of
# the Dispute Document object, create, page, submit, view, list all, list a dispute's, consult;
# seed 004: "Create a Dispute Document") as curl against a freshly seeded dispute-docs, token
# first. Bodies are the seeds' own, verbatim, wherever the seed gives a valid one. Where the seed
# itself is wrong, the verbatim request is sent too and its refusal checked, then the corrected
# request:
#   - seed 001's Type "INVOICE_PROOF" is no DisputeDocumentType (MANGOPAY.md 5.2): 400, then
#     DELIVERY_PROOF as seed 004 has it;
#   - seed 001's page File is a truncated JPEG (189 bytes decoded, under the 1 KB minimum): 400,
#     then a real page (fixtures/files/receipt.png, base64 with spaces as in the seed);
#   - seed 001's submit body {"Status": "CREATED"}: only VALIDATION_ASKED may be asked for: 400;
#   - seed 001's paths "/dispute/{Id}/documents/" and "/disputes-documents/{Id}/consult/" are
#     typos of "/disputes/…" and "/dispute-documents/…": 404, then the right path.
# Usage: mangopay_seed_examples.sh API_BASE LABEL RESULT_FILE
# Writes "PASSED FAILED" to RESULT_FILE; prints one line per check.
set -euo pipefail

H=$1
LABEL=$2
RESULT_FILE=$3
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
CLIENT_ID=dispute-docs-demo
PNG_FILE=$ROOT/fixtures/files/receipt.png

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

passed=0
failed=0
out="$work/body"
hdr="$work/headers"

# check NAME EXPECTED_STATUS GOT_STATUS PYTHON_EXPR
#   j = the parsed JSON body (None when the body is empty), h = the headers (lower-case names)
check() {
  local name=$1 want=$2 got=$3 expr=$4 why=""
  if [[ "$got" != "$want" ]]; then
    why="HTTP $got, expected $want"
  else
    why=$(python3 - "$out" "$hdr" "$expr" 2>&1 <<'EOF'
import json, sys
body = open(sys.argv[1], "rb").read()
h = {}
for line in open(sys.argv[2], encoding="latin-1").read().splitlines():
    if ":" in line:
        k, v = line.split(":", 1)
        h[k.strip().lower()] = v.strip()
if body:
    try:
        j = json.loads(body)
    except ValueError:
        sys.exit("not JSON: %r" % body[:300])
else:
    j = None
try:
    ok = eval(sys.argv[3], {"j": j, "h": h})
except Exception as e:
    ok = False
    print("%s: %s" % (type(e).__name__, e))
if not ok:
    sys.exit("assertion failed: %s" % sys.argv[3])
EOF
    ) || true
  fi
  if [[ -z "$why" ]]; then
    passed=$((passed + 1))
    echo "ok     mangopay-curl[$LABEL] $name"
  else
    failed=$((failed + 1))
    echo "FAILED mangopay-curl[$LABEL] $name: $why"
    echo "       body: $(head -c 600 "$out" 2>/dev/null)"
  fi
}

json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]) or "")' "$out" "$1" 2>/dev/null || true; }

# Mangopay's error object (MANGOPAY.md 7), with the Type given
err() { echo "isinstance(j, dict) and {'Message','Type','Id','Date','errors'} <= set(j) and j['Type']=='$1' and isinstance(j['Date'], int)"; }
DOC_KEYS="{'Id','Tag','CreationDate','DisputeId','Type','Status','RefusedReasonType','RefusedReasonMessage','ProcessedDate'}"

# From here on a failed curl (code 000) is a failed check, not the end of the script.
set +e

# --- the token first ---
code=$(curl -sS -D "$hdr" -o "$out" -w '%{http_code}' \
  -u dispute-docs-demo:demo_api_key_5g5ih3pybo7v4wwrbjw -X POST $H/v2.01/oauth/token)
check "oauth token" 200 "$code" \
  "j['token_type']=='Bearer' and isinstance(j['access_token'], str) and len(j['access_token'])>=16 and isinstance(j['expires_in'], int) and j['expires_in']>60"
TOKEN=$(json_field access_token)

code=$(curl -sS -D "$hdr" -o "$out" -w '%{http_code}' \
  -u dispute-docs-demo:not_the_api_key -X POST $H/v2.01/oauth/token)
check "oauth token with a wrong key is invalid_credentials" 401 "$code" "$(err invalid_credentials) and j['errors'] is None"

code=$(curl -sS -D "$hdr" -o "$out" -w '%{http_code}' $H/v2.01/$CLIENT_ID/dispute-documents/)
check "no token is invalid_credentials" 401 "$code" "$(err invalid_credentials)"

AUTH="Authorization: Bearer $TOKEN"
# Two demo disputes awaiting evidence and without documents (fixtures/demo.json).
D004=dspt_test_5demoopen4000000000
D001=dspt_test_5demoopen5000000000

# --- seed 004, "Create a Dispute Document" (POST /v2.01/{ClientId}/disputes/{DisputeId}/documents) ---
code=$(curl -sS -D "$hdr" -o "$out" -w '%{http_code}' -X POST $H/v2.01/$CLIENT_ID/disputes/$D004/documents \
  -H "$AUTH" -H 'Content-Type: application/json' \
  -d '{
    "Type": "DELIVERY_PROOF",
    "Tag": "Custom meta"
}  ')
check "create a dispute document (seed 004)" 200 "$code" \
  "set(j)==$DOC_KEYS and j['DisputeId']=='$D004' and j['Type']=='DELIVERY_PROOF' and j['Tag']=='Custom meta' and j['Status']=='CREATED' and j['ProcessedDate'] is None and j['RefusedReasonType'] is None and j['RefusedReasonMessage'] is None and j['Id'].startswith('docu_test_') and isinstance(j['CreationDate'], int) and h['content-type'].lower()=='application/json; charset=utf-8'"
DOC004=$(json_field Id)

# --- seed 001, "Create a Dispute Document" (POST .../disputes/:DisputeId/documents/) ---
code=$(curl -sS -D "$hdr" -o "$out" -w '%{http_code}' -X POST $H/v2.01/$CLIENT_ID/disputes/$D001/documents/ \
  -H "$AUTH" -H 'Content-Type: application/json' \
  -d '{
"Tag": "custom meta",
"Type": "INVOICE_PROOF"
}')
check "create with seed 001's Type INVOICE_PROOF is refused" 400 "$code" \
  "$(err param_error) and 'Type' in j['errors']"
code=$(curl -sS -D "$hdr" -o "$out" -w '%{http_code}' -X POST $H/v2.01/$CLIENT_ID/disputes/$D001/documents/ \
  -H "$AUTH" -H 'Content-Type: application/json' \
  -d '{
"Tag": "custom meta",
"Type": "DELIVERY_PROOF"
}')
check "create a dispute document (seed 001, Type DELIVERY_PROOF)" 200 "$code" \
  "set(j)==$DOC_KEYS and j['DisputeId']=='$D001' and j['Type']=='DELIVERY_PROOF' and j['Tag']=='custom meta' and j['Status']=='CREATED'"
DOC=$(json_field Id)

# --- seed 001, "Create a Dispute Document Page" (POST .../documents/:DisputeDocumentId/pages/) ---
code=$(curl -sS -D "$hdr" -o "$out" -w '%{http_code}' -X POST $H/v2.01/$CLIENT_ID/disputes/$D001/documents/$DOC/pages/ \
  -H "$AUTH" -H 'Content-Type: application/json' \
  -d '{
"File": "/9j/4AAQSkZJRgABAQEBLAEsAAD/2wBDAAEBAQEBAQEBAQEBAQECAgMCAgICAgQDAwIDBQQFBQUE BAQFBgcGBQUHBgQEBgkGBwgICAgIBQYJCgkICgcICAj/2wBDAQEBAQICAgQCAgQIBQQFCAgICAgI CAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAj/wgARCAAyADIDAREA AhEBAxEB/8QAGwAAAgMBAQEA"
}')
check "seed 001's page (a truncated JPEG, 189 bytes) is too small" 400 "$code" \
  "$(err param_error) and 'File' in j['errors']"
# The same request with a real page: base64 broken by spaces, as the seed's sample is.
FILE_B64=$(base64 -w 76 "$PNG_FILE" | tr '\n' ' ')
code=$(curl -sS -D "$hdr" -o "$out" -w '%{http_code}' -X POST $H/v2.01/$CLIENT_ID/disputes/$D001/documents/$DOC/pages/ \
  -H "$AUTH" -H 'Content-Type: application/json' \
  -d '{
"File": "'"$FILE_B64"'"
}')
check "create a dispute document page (seed 001, fixtures/files/receipt.png)" 204 "$code" "j is None"

# --- seed 001, "Submit a Dispute Document" (PUT .../documents/:DisputeDocumentId/) ---
code=$(curl -sS -D "$hdr" -o "$out" -w '%{http_code}' -X PUT $H/v2.01/$CLIENT_ID/disputes/$D001/documents/$DOC/ \
  -H "$AUTH" -H 'Content-Type: application/json' \
  -d '{
"Status": "CREATED"
}')
check "submit with seed 001's Status CREATED is refused" 400 "$code" \
  "$(err param_error) and 'Status' in j['errors']"
code=$(curl -sS -D "$hdr" -o "$out" -w '%{http_code}' -X PUT $H/v2.01/$CLIENT_ID/disputes/$D001/documents/$DOC/ \
  -H "$AUTH" -H 'Content-Type: application/json' \
  -d '{
"Status": "VALIDATION_ASKED"
}')
check "submit a dispute document (seed 001, Status VALIDATION_ASKED)" 200 "$code" \
  "set(j)==$DOC_KEYS and j['Id']=='$DOC' and j['Status']=='VALIDATION_ASKED' and j['Type']=='DELIVERY_PROOF'"

# --- seed 001, "View a Dispute Document" (GET .../dispute-documents/:DisputeDocumentId/) ---
code=$(curl -sS -D "$hdr" -o "$out" -w '%{http_code}' $H/v2.01/$CLIENT_ID/dispute-documents/$DOC/ \
  -H "$AUTH")
check "view a dispute document (seed 001)" 200 "$code" \
  "set(j)==$DOC_KEYS and j['Id']=='$DOC' and j['DisputeId']=='$D001' and j['Status']=='VALIDATION_ASKED' and j['Tag']=='custom meta'"
code=$(curl -sS -D "$hdr" -o "$out" -w '%{http_code}' $H/v2.01/$CLIENT_ID/dispute-documents/docu_test_0000000000000000000/ \
  -H "$AUTH")
check "view an unknown dispute document is ressource_not_found" 404 "$code" \
  "$(err ressource_not_found) and isinstance(j['errors'], dict)"

# --- seed 001, "List all Dispute Documents" (GET .../dispute-documents/ with its Get Parameters) ---
code=$(curl -sS -D "$hdr" -o "$out" -w '%{http_code}' \
  "$H/v2.01/$CLIENT_ID/dispute-documents/?Page=1&Per_Page=25&Sort=CreationDate:DESC&BeforeDate=1463440221&AfterDate=1431817821&Status=CREATED&Type=INVOICE_PROOF" \
  -H "$AUTH")
check "list all with seed 001's parameters (Type INVOICE_PROOF) is refused" 400 "$code" \
  "$(err param_error)"
code=$(curl -sS -D "$hdr" -o "$out" -w '%{http_code}' \
  "$H/v2.01/$CLIENT_ID/dispute-documents/?Page=1&Per_Page=25&Sort=CreationDate:DESC&BeforeDate=1463440221&AfterDate=1431817821&Status=CREATED&Type=DELIVERY_PROOF" \
  -H "$AUTH")
check "list all with seed 001's parameters (2015-2016 dates: none)" 200 "$code" \
  "j==[] and h['x-number-of-items']=='0' and h['x-number-of-pages']=='0' and 'link' in h"
code=$(curl -sS -D "$hdr" -o "$out" -w '%{http_code}' \
  "$H/v2.01/$CLIENT_ID/dispute-documents/?Page=1&Per_Page=25&Sort=CreationDate:DESC&Status=CREATED&Type=DELIVERY_PROOF" \
  -H "$AUTH")
check "list all dispute documents (seed 001, no date filter)" 200 "$code" \
  "isinstance(j, list) and all(set(d)==$DOC_KEYS and d['Status']=='CREATED' and d['Type']=='DELIVERY_PROOF' for d in j) and {'$DOC004','docu_test_53f7n2a4rzvii1p8tn7'} <= {d['Id'] for d in j} and '$DOC' not in {d['Id'] for d in j} and [d['CreationDate'] for d in j]==sorted([d['CreationDate'] for d in j], reverse=True) and h['x-number-of-items']==str(len(j)) and h['x-number-of-pages']=='1' and 'rel=\"first\"' in h['link'] and 'rel=\"last\"' in h['link']"

# --- seed 001, "List a Dispute's Documents" (GET .../dispute/:DisputeId/documents/ sic) ---
code=$(curl -sS -D "$hdr" -o "$out" -w '%{http_code}' \
  "$H/v2.01/$CLIENT_ID/dispute/$D001/documents/?Page=1&Per_Page=25&Sort=CreationDate:DESC" \
  -H "$AUTH")
check "seed 001's path /dispute/{Id}/documents/ is not a route" 404 "$code" "$(err ressource_not_found)"
code=$(curl -sS -D "$hdr" -o "$out" -w '%{http_code}' \
  "$H/v2.01/$CLIENT_ID/disputes/$D001/documents/?Page=1&Per_Page=25&Sort=CreationDate:DESC&Type=DELIVERY_PROOF" \
  -H "$AUTH")
check "list a dispute's documents (seed 001, /disputes/{Id}/documents/)" 200 "$code" \
  "[d['Id'] for d in j]==['$DOC'] and j[0]['Status']=='VALIDATION_ASKED' and h['x-number-of-items']=='1'"
code=$(curl -sS -D "$hdr" -o "$out" -w '%{http_code}' \
  "$H/v2.01/$CLIENT_ID/disputes/$D001/documents/?Page=1&Per_Page=25&Status=CREATED" \
  -H "$AUTH")
check "list a dispute's documents by Status (none CREATED)" 200 "$code" "j==[] and h['x-number-of-items']=='0'"

# --- seed 001, "Consult a dispute document's pages" (POST .../disputes-documents/:Id/consult/ sic) ---
code=$(curl -sS -D "$hdr" -o "$out" -w '%{http_code}' -X POST $H/v2.01/$CLIENT_ID/disputes-documents/$DOC/consult/ \
  -H "$AUTH")
check "seed 001's path /disputes-documents/{Id}/consult/ is not a route" 404 "$code" "$(err ressource_not_found)"
code=$(curl -sS -D "$hdr" -o "$out" -w '%{http_code}' -X POST $H/v2.01/$CLIENT_ID/dispute-documents/$DOC/consult/ \
  -H "$AUTH")
check "consult a dispute document's pages (seed 001, /dispute-documents/{Id}/consult/)" 200 "$code" \
  "isinstance(j, list) and len(j)==1 and set(j[0])=={'Url','ExpirationDate'} and j[0]['Url'].startswith('$H/') and isinstance(j[0]['ExpirationDate'], int)"
URL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Url"])' "$out" 2>/dev/null || true)
code=$(curl -sS -D "$hdr" -o "$work/page" -w '%{http_code}' "$URL")
cp "$work/page" "$out"
if cmp -s "$work/page" "$PNG_FILE"; then same=True; else same=False; fi
: >"$out"  # the page is not JSON; the check reads the headers
check "the consult Url serves the page's bytes without a token" 200 "$code" \
  "$same and h['content-type']=='image/png'"

# the seed 004 document, with no page: consult is []
code=$(curl -sS -D "$hdr" -o "$out" -w '%{http_code}' -X POST $H/v2.01/$CLIENT_ID/dispute-documents/$DOC004/consult \
  -H "$AUTH")
check "consult of a document with no page" 200 "$code" "j==[]"

echo "$passed $failed" > "$RESULT_FILE"
echo "mangopay-curl[$LABEL]: $passed ok, $failed not ok"
