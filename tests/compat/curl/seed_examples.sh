#!/usr/bin/env bash
# The curl examples of the Omise document pages (seed 000: upload, retrieve, list, delete;
# seed 003: delete with its own key), verbatim but for the host, against a freshly seeded
# dispute-docs. Usage: seed_examples.sh API_BASE LABEL RESULT_FILE
# Runs in a scratch directory (evidence.png is made there). Writes "PASSED FAILED" to
# RESULT_FILE; prints one line per check.
set -euo pipefail

API=$1
LABEL=$2
RESULT_FILE=$3
OMISE_SECRET_KEY=skey_test_4xs8breq3htbkj03d2x
export OMISE_SECRET_KEY

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# evidence.png: a real 1x1 PNG
python3 - <<'EOF'
import struct, zlib
def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))
open("evidence.png", "wb").write(png)
EOF

passed=0
failed=0
out="$work/body.json"

# check NAME EXPECTED_STATUS GOT_STATUS PYTHON_EXPR  (j = the parsed JSON body)
check() {
  local name=$1 want=$2 got=$3 expr=$4 why=""
  if [[ "$got" != "$want" ]]; then
    why="HTTP $got, expected $want"
  else
    why=$(python3 - "$out" "$expr" 2>&1 <<'EOF'
import json, sys
body = open(sys.argv[1], "rb").read()
try:
    j = json.loads(body)
except ValueError:
    sys.exit("not JSON: %r" % body[:300])
try:
    ok = eval(sys.argv[2], {"j": j})
except Exception as e:
    ok = False
    print("%s: %s" % (type(e).__name__, e))
if not ok:
    sys.exit("assertion failed: %s" % sys.argv[2])
EOF
    ) || true
  fi
  if [[ -z "$why" ]]; then
    passed=$((passed + 1))
    echo "ok     curl[$LABEL] $name"
  else
    failed=$((failed + 1))
    echo "FAILED curl[$LABEL] $name: $why"
    echo "       body: $(head -c 600 "$out" 2>/dev/null)"
  fi
}

# From here on a failed curl (code 000) is a failed check, not the end of the script.
set +e

DOC=docu_test_5g5iiejzhyhbfyj6kzs

# --- seed 000, "Create a document" ---
code=$(curl -sS -o "$out" -w '%{http_code}' "$API"/disputes/dspt_test_5g5ih3pybo7v4wwrbjw/documents \
  -u $OMISE_SECRET_KEY: \
  -F kind=details_of_purchase \
  -F file=@evidence.png)
check "upload (seed 000)" 200 "$code" \
  "j['object']=='document' and j['id'].startswith('docu_test_') and len(j['id'])==29 and j['filename']=='evidence.png' and j['kind']=='details_of_purchase' and j['livemode'] is False and j['deleted'] is False and j['location']=='/disputes/dspt_test_5g5ih3pybo7v4wwrbjw/documents/'+j['id'] and j['download_uri'].startswith('$API/')"
NEW_DOC=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("id",""))' "$out" 2>/dev/null || true)

# --- seed 000, "Retrieve a document" (before its delete) ---
code=$(curl -sS -o "$out" -w '%{http_code}' "$API"/disputes/dspt_test_5g5ih3pybo7v4wwrbjw/documents/docu_test_5g5iiejzhyhbfyj6kzs \
  -u $OMISE_SECRET_KEY:)
check "retrieve (seed 000)" 200 "$code" \
  "j['object']=='document' and j['id']=='$DOC' and j['deleted'] is False and j['location']=='/disputes/dspt_test_5g5ih3pybo7v4wwrbjw/documents/$DOC' and isinstance(j['filename'], str) and 'created_at' in j"

# --- seed 000, "List all dispute documents" ---
code=$(curl -sS -o "$out" -w '%{http_code}' "$API"/disputes/dspt_test_5g5ih3pybo7v4wwrbjw/documents \
  -u $OMISE_SECRET_KEY:)
check "list (seed 000)" 200 "$code" \
  "j['object']=='list' and j['location']=='/disputes/dspt_test_5g5ih3pybo7v4wwrbjw/documents' and [d['id'] for d in j['data']]==['$DOC','$NEW_DOC'] and j['total']==2 and j['offset']==0 and j['limit']==20 and j['order']=='chronological' and j['from']=='1970-01-01T00:00:00Z' and all(d['object']=='document' for d in j['data'])"

# --- seed 000, "Destroy a document" ---
code=$(curl -sS -o "$out" -w '%{http_code}' "$API"/disputes/dspt_test_5g5ih3pybo7v4wwrbjw/documents/docu_test_5g5iiejzhyhbfyj6kzs \
  -X DELETE \
  -u $OMISE_SECRET_KEY:)
check "delete (seed 000)" 200 "$code" \
  "j['object']=='document' and j['id']=='$DOC' and j['deleted'] is True and j['livemode'] is False"

# the same retrieve again: the document is gone
code=$(curl -sS -o "$out" -w '%{http_code}' "$API"/disputes/dspt_test_5g5ih3pybo7v4wwrbjw/documents/docu_test_5g5iiejzhyhbfyj6kzs \
  -u $OMISE_SECRET_KEY:)
check "retrieve after delete is not_found" 404 "$code" \
  "j['object']=='error' and j['code']=='not_found' and j['location']=='https://www.omise.co/api-errors#not-found' and '$DOC' in j['message']"

# the same delete again
code=$(curl -sS -o "$out" -w '%{http_code}' "$API"/disputes/dspt_test_5g5ih3pybo7v4wwrbjw/documents/docu_test_5g5iiejzhyhbfyj6kzs \
  -X DELETE \
  -u $OMISE_SECRET_KEY:)
check "delete again is not_found" 404 "$code" "j['object']=='error' and j['code']=='not_found'"

# the same list again: only the uploaded one is left
code=$(curl -sS -o "$out" -w '%{http_code}' "$API"/disputes/dspt_test_5g5ih3pybo7v4wwrbjw/documents \
  -u $OMISE_SECRET_KEY:)
check "list after delete" 200 "$code" \
  "j['object']=='list' and [d['id'] for d in j['data']]==['$NEW_DOC'] and j['total']==1"

# --- seed 003, "Delete Dispute Document" (its own literal key) ---
code=$(curl -sS -o "$out" -w '%{http_code}' "$API"/disputes/dspt_test_5xuy4w91xqz7d1w9u0t/documents/docu_test_5xuy4w91xqz7d1w9u0t \
  -X DELETE \
  -u skey_test_5xuy4w91xqz7d1w9u0t:)
check "delete (seed 003)" 200 "$code" \
  "j['object']=='document' and j['id']=='docu_test_5xuy4w91xqz7d1w9u0t' and j['deleted'] is True and j['livemode'] is False"

# seed 003's 400: a malformed document id
code=$(curl -sS -o "$out" -w '%{http_code}' "$API"/disputes/dspt_test_5xuy4w91xqz7d1w9u0t/documents/not_a_document_id \
  -X DELETE \
  -u skey_test_5xuy4w91xqz7d1w9u0t:)
check "delete with a malformed id is bad_request (seed 003)" 400 "$code" "j['object']=='error' and j['code']=='bad_request'"

# seed 003's 401: no key
code=$(curl -sS -o "$out" -w '%{http_code}' "$API"/disputes/dspt_test_5xuy4w91xqz7d1w9u0t/documents/docu_test_5xuy4w91xqz7d1w9u0t \
  -X DELETE)
check "delete without a key is authentication_failure (seed 003)" 401 "$code" "j['object']=='error' and j['code']=='authentication_failure'"

# --- seed 000's ruby examples, as curl: dispute dspt_test_4zgf15h89w8t775kcm8 ---
code=$(curl -sS -o "$out" -w '%{http_code}' "$API"/disputes/dspt_test_4zgf15h89w8t775kcm8 \
  -u $OMISE_SECRET_KEY:)
check "retrieve dispute (seed 000 ruby)" 200 "$code" \
  "j['object']=='dispute' and j['id']=='dspt_test_4zgf15h89w8t775kcm8' and j['status']=='open' and 'docu_test_53f7n2a4rzvii1p8tn7' in [d['id'] for d in j['documents']['data']]"
code=$(curl -sS -o "$out" -w '%{http_code}' "$API"/disputes/dspt_test_4zgf15h89w8t775kcm8/documents/docu_test_53f7n2a4rzvii1p8tn7 \
  -u $OMISE_SECRET_KEY:)
check "retrieve document (seed 000 ruby)" 200 "$code" \
  "j['object']=='document' and j['id']=='docu_test_53f7n2a4rzvii1p8tn7'"

# --- the 2017-11-02 shape of the seed 000 example response ("created") ---
code=$(curl -sS -o "$out" -w '%{http_code}' "$API"/disputes/dspt_test_4zgf15h89w8t775kcm8/documents/docu_test_53f7n2a4rzvii1p8tn7 \
  -H 'Omise-Version: 2017-11-02' \
  -u $OMISE_SECRET_KEY:)
check "retrieve document as 2017-11-02" 200 "$code" \
  "j['object']=='document' and j['id']=='docu_test_53f7n2a4rzvii1p8tn7' and 'created' in j and 'created_at' not in j"

echo "$passed $failed" > "$RESULT_FILE"
echo "curl[$LABEL]: $passed ok, $failed not ok"
