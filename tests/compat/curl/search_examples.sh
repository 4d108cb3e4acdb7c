#!/usr/bin/env bash
# The curl forms of SEARCH.md §6 (GET /search, scope dispute) against a freshly seeded
# dispute-docs. Usage: search_examples.sh API_BASE LABEL RESULT_FILE, with the server's
# operator token in COMPAT_OPS_TOKEN. Writes "PASSED FAILED" to RESULT_FILE; prints one line per
# check.
#
# The account of §6 is made here, through /ops/ and the test API: D1 (THB 900.00), D2 (THB
# 120.50, reason credit_not_processed), D3 (JPY 5000, accepted: lost, closed now), opened in
# that order, a live dispute of the same account, and the demo account beside it. No API call
# gives an open dispute a message, so D1 says "bad charge" by answering it (pending, as in the
# elixir recording) and D2 stays open: the status checks of §6.4 and §6.8 are asked the other
# way round. Dates use yesterday..today rather than today, so a run that crosses midnight (UTC)
# between opening and searching still finds what it opened.
set -euo pipefail

API=$1
LABEL=$2
RESULT_FILE=$3
OPS_TOKEN=${COMPAT_OPS_TOKEN:?the server\'s OPS_TOKEN}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
out="$work/body.json"

# check NAME EXPECTED_STATUS GOT_STATUS PYTHON_EXPR  (j = the parsed JSON body, ids = its data's ids)
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
ids = [d.get("id") for d in j.get("data", [])] if isinstance(j.get("data"), list) else None
try:
    ok = eval(sys.argv[2], {"j": j, "ids": ids})
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
    echo "ok     search[$LABEL] $name"
  else
    failed=$((failed + 1))
    echo "FAILED search[$LABEL] $name: $why"
    echo "       body: $(head -c 600 "$out" 2>/dev/null)"
  fi
}

field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$out" "$1"; }
charge() { # a fresh charge id: test or live
  python3 -c 'import secrets,sys; print("chrg_" + sys.argv[1] + "".join(secrets.choice("0123456789abcdefghijklmnopqrstuvwxyz") for _ in range(19)))' "$1"
}
ops() { curl -sS -o "$out" -H "Authorization: Bearer $OPS_TOKEN" -H 'Content-Type: application/json' "$API/ops$1" -d "$2"; }

# --- the account of §6 ---------------------------------------------------------------------
ops /accounts '{"name": "Search shop"}'
ACCOUNT=$(field id)
ops "/accounts/$ACCOUNT/keys" '{"mode": "test"}'
K=$(field secret)
H=$API
open_dispute() { curl -sS -o "$out" -u "$K:" "$H/charges/$(charge test_)/disputes" -d "$1" && field id; }
D1=$(open_dispute 'amount=90000&currency=THB')
D2=$(open_dispute 'amount=12050&currency=THB&reason_code=credit_not_processed')
D3=$(open_dispute 'amount=5000&currency=JPY')
curl -sS -o "$out" -u "$K:" -X PATCH "$H/disputes/$D1" -d message="bad charge"
curl -sS -o "$out" -u "$K:" -X PATCH "$H/disputes/$D3/accept"
ops /disputes "{\"account\": \"$ACCOUNT\", \"mode\": \"live\", \"charge\": \"$(charge '')\", \"amount\": 90000}"
echo "search[$LABEL] account $ACCOUNT: D1 $D1, D2 $D2, D3 $D3"

# From here on a failed curl (code 000) is a failed check, not the end of the script.
set +e
get() { curl -sS -o "$out" -w '%{http_code}' -u "$K:" "$@"; }

# §6.1
code=$(get "$H/search?scope=dispute")
check "1 everything, oldest first" 200 "$code" \
  "ids==['$D1','$D2','$D3'] and j['object']=='search' and j['scope']=='dispute' and j['query']=='' and j['filters']=={} and j['page']==1 and j['per_page']==30 and j['order']=='chronological' and j['location']=='/search' and j['total']==3 and j['total_pages']==1 and j['export'] is None and j['aggregate_level'] is None"
# §6.2: the docs' style, a form body on a GET
code=$(curl -sS -o "$out" -w '%{http_code}' -X GET -u "$K:" "$H/search" -d scope=dispute -d query=BAD)
check "2 form body on a GET" 200 "$code" "ids==['$D1'] and j['query']=='BAD'"
# §6.3: the PHP style
code=$(get "$H/search/?scope=dispute&query=demo&filters%5Bcard_last_digits%5D=5454&page=1&order=reverse_chronological")
check "3 PHP style" 200 "$code" "j['total']==0 and j['total_pages']==0 and j['data']==[] and j['filters']=={'card_last_digits':'5454'}"
# §6.4: the Go style, a JSON body on a GET (D2 is the open one here)
code=$(curl -sS -o "$out" -w '%{http_code}' -X GET -u "$K:" -H 'Content-Type: application/json' "$H/search" \
  -d '{"scope":"dispute","filters":{"status":"open"},"order":"reverse_chronological","page":1,"per_page":2}')
check "4 Go style" 200 "$code" "ids==['$D2'] and j['per_page']==2 and j['filters']=={'status':'open'} and j['order']=='reverse_chronological'"
# §6.5: amounts in base units
for pair in "900:['$D1']" "900.00:['$D1']" "100..1000&filters[currency]=thb:['$D1','$D2']" "5000:['$D3']" "90000:[]"; do
  code=$(get -g "$H/search?scope=dispute&filters[amount]=${pair%%:*}")
  check "5 amount ${pair%%:*}" 200 "$code" "ids==${pair#*:}"
done
# §6.6: dates and reason codes
for pair in "created]=yesterday..today:['$D1','$D2','$D3']" "closed_at]=yesterday..today:['$D3']" \
  "created]=2000-01-01..2000-01-31:[]" "reason_code]=credit_not_processed:['$D2']"; do
  code=$(get -g "$H/search?scope=dispute&filters[${pair%%:*}")
  check "6 filters[${pair%%:*}" 200 "$code" "ids==${pair#*:}"
done
# §6.7: pages
code=$(get "$H/search?scope=dispute&per_page=1&page=999")
check "7 a page past the end" 200 "$code" "j['data']==[] and j['page']==999 and j['total']==3 and j['total_pages']==3"
code=$(get "$H/search?scope=dispute&per_page=1&page=2&order=reverse_chronological")
check "7 page 2 newest first" 200 "$code" "ids==['$D2']"
# §6.8: the Node, Ruby and Python styles (D1 is the pending one here)
code=$(get -H 'Content-Type: application/json' "$H/search?scope=dispute&filters=")
check "8 Node: filters=" 200 "$code" "ids==['$D1','$D2','$D3']"
code=$(get "$H/search?filters%5Bstatus%5D=pending&query=bad+charge&scope=dispute")
check "8 Ruby: sorted keys, +" 200 "$code" "ids==['$D1'] and j['query']=='bad charge'"
code=$(get -X GET -H 'Content-Type: application/json' -d '{}' "$H/search/?scope=dispute&filters%5Bstatus%5D=pending")
check "8 Python: a JSON body {}" 200 "$code" "ids==['$D1']"
# §6.9: the 2017-11-02 shape
code=$(get -H 'Omise-Version: 2017-11-02' "$H/search?scope=dispute&query=bad")
check "9 Omise-Version 2017-11-02" 200 "$code" \
  "list(j)==['object','order','scope','query','filters','page','per_page','location','total_pages','total','data'] and ids==['$D1'] and 'created' in j['data'][0] and j['data'][0]['currency']=='thb' and j['data'][0]['transaction'].startswith('trxn_test_')"
# §6.10: errors
for pair in "scope=charge:invalid_scope" ":invalid_scope" "scope=dispute&filters[status]=closed:invalid_filter" \
  "scope=dispute&filters[amount]=abc:invalid_filter" "scope=dispute&filters[colour]=red:invalid_filter" \
  "scope=dispute&page=0:invalid_page" "scope=dispute&per_page=0:invalid_page" "scope=dispute&per_page=101:invalid_page" \
  "scope=dispute&page=x:invalid_page" "scope=dispute&order=up:bad_request"; do
  code=$(get -g "$H/search?${pair%%:*}")
  check "10 ${pair%%:*}" 400 "$code" "j['object']=='error' and j['code']=='${pair#*:}' and j['location']=='https://www.omise.co/api-errors#${pair#*:}'.replace('_','-')"
done
code=$(curl -sS -o "$out" -w '%{http_code}' "$H/search?scope=dispute")
check "10 no key" 401 "$code" "j['code']=='authentication_failure'"
code=$(get -X POST "$H/search" -d scope=dispute)
check "10 POST" 405 "$code" "j['code']=='method_not_allowed'"

echo "$passed $failed" >"$RESULT_FILE"
