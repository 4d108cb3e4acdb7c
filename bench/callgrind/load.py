"""Keep-alive rounds of a dispute retrieve and a list of 20, as the demo's test key; with a third
argument `documents`, also a dispute's list of documents, one of them, and its file's download."""
import http.client, base64, json, sys, urllib.parse
port, n = int(sys.argv[1]), int(sys.argv[2])
documents = len(sys.argv) > 3 and sys.argv[3] == "documents"
key = "skey_test_4xs8breq3htbkj03d2x"
auth = "Basic " + base64.b64encode((key + ":").encode()).decode()
c = http.client.HTTPConnection("127.0.0.1", port)
def get(path):
    c.request("GET", path, headers={"Authorization": auth})
    r = c.getresponse(); body = r.read(); assert r.status == 200, (path, r.status, body[:200]); return body
items = json.loads(get("/disputes"))["data"]
d = items[0]["id"]
if documents:
    with_docs = next(i for i in items if i["documents"]["total"] > 0)
    docs_path = "/disputes/" + with_docs["id"] + "/documents"
    doc = json.loads(get(docs_path))["data"][0]
    doc_path = docs_path + "/" + doc["id"]
    download = urllib.parse.urlsplit(doc["download_uri"])
    download_path = download.path + ("?" + download.query if download.query else "")
for _ in range(n):
    get("/disputes/" + d)
    get("/disputes?limit=20")
    if documents:
        get(docs_path)
        get(doc_path)
        get(download_path)
