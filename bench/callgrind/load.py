"""Keep-alive rounds of a dispute retrieve and a list of 20, as the demo's test key."""
import http.client, base64, json, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
key = "skey_test_4xs8breq3htbkj03d2x"
auth = "Basic " + base64.b64encode((key + ":").encode()).decode()
c = http.client.HTTPConnection("127.0.0.1", port)
def get(path):
    c.request("GET", path, headers={"Authorization": auth})
    r = c.getresponse(); body = r.read(); assert r.status == 200, (path, r.status, body[:200]); return body
items = json.loads(get("/disputes"))["data"]
d = items[0]["id"]
for _ in range(n):
    get("/disputes/" + d)
    get("/disputes?limit=20")
