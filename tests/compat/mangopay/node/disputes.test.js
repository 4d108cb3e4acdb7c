'use strict';
// The official Mangopay Node SDK (mangopay4-nodejs-sdk 1.68.0, unmodified) against the Mangopay
// dialect of dispute-docs; run by tests/compat/run with `node --test`, once against a freshly
// seeded server on Postgres and once against the embedded default. Every row of the SDK x call
// matrix (MANGOPAY.md section 9) is driven through the SDK; what the SDK cannot do (open a
// dispute, reopen or decide it as the bank, fetch a consult link) goes through plain HTTP.
//
// One Mangopay instance per process: the SDK keeps its baseUrl in the global axios.defaults and
// its Authorization header and path placeholders on a prototype shared by every instance (bug
// N4), so a second instance would re-point this one. Wrong credentials and other ClientIds are
// therefore checked with plain HTTP.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const BASE = process.env.COMPAT_BASE_URL.replace(/\/$/, '');
const OPS_TOKEN = process.env.COMPAT_OPS_TOKEN;
const Mangopay = require(path.join(process.env.COMPAT_MANGOPAY_NODE_MODULES, 'mangopay4-nodejs-sdk'));
const SDK_VERSION = require(path.join(process.env.COMPAT_MANGOPAY_NODE_MODULES,
  'mangopay4-nodejs-sdk', 'package.json')).version;
const FILES = path.resolve(__dirname, '../../../../fixtures/files');

const CLIENT_ID = 'dispute-docs-demo';
const API_KEY = 'demo_api_key_5g5ih3pybo7v4wwrbjw';
const OTHER_CLIENT_ID = 'other-demo';
const OTHER_API_KEY = 'other_api_key_5otheracct0000000';
const ACCOUNT = 'acct_5demomerchant000000';
const OMISE_KEY = 'skey_test_4xs8breq3htbkj03d2x';
const API = `${BASE}/v2.01/${CLIENT_ID}`;

// The demo account's test-mode disputes (fixtures/demo.json) in Mangopay's words.
const DEMO = {
  'dspt_test_5g5ih3pybo7v4wwrbjw': {charge: 'chrg_test_5demochrg0100000000', amount: 100000, status: 'PENDING_CLIENT_ACTION', reason: 'PRODUCT_NOT_PROVIDED'},
  'dspt_test_4zgf15h89w8t775kcm8': {charge: 'chrg_test_5demochrg0200000000', amount: 250000, status: 'PENDING_CLIENT_ACTION', reason: 'PRODUCT_UNACCEPTABLE'},
  'dspt_test_5xuy4w91xqz7d1w9u0t': {charge: 'chrg_test_5demochrg0300000000', amount: 90000, status: 'PENDING_CLIENT_ACTION', reason: 'REFUND_NOT_PROCESSED'},
  'dspt_test_5demoopen4000000000': {charge: 'chrg_test_5demochrg0400000000', amount: 45000, status: 'PENDING_CLIENT_ACTION', reason: 'DUPLICATE'},
  'dspt_test_5demoopen5000000000': {charge: 'chrg_test_5demochrg0500000000', amount: 120000, status: 'PENDING_CLIENT_ACTION', reason: 'AUTHORISATION_DISPUTED'},
  'dspt_test_5demopend6000000000': {charge: 'chrg_test_5demochrg0600000000', amount: 75000, status: 'SUBMITTED', reason: 'PRODUCT_NOT_PROVIDED'},
  'dspt_test_5demopend7000000000': {charge: 'chrg_test_5demochrg0700000000', amount: 30000, status: 'SUBMITTED', reason: 'OTHER'},
  'dspt_test_5demopend8000000000': {charge: 'chrg_test_5demochrg0800000000', amount: 210000, status: 'SUBMITTED', reason: 'OTHER'},
  'dspt_test_5demowon90000000000': {charge: 'chrg_test_5demochrg0900000000', amount: 150000, status: 'CLOSED', result: 'WON', reason: 'TRANSACTION_NOT_RECOGNIZED'},
  'dspt_test_5demowon10000000000': {charge: 'chrg_test_5demochrg1000000000', amount: 60000, status: 'CLOSED', result: 'WON', reason: 'CANCELED_REOCCURING_TRANSACTION'},
  'dspt_test_5demolost1100000000': {charge: 'chrg_test_5demochrg1100000000', amount: 80000, status: 'CLOSED', result: 'LOST', reason: 'OTHER'},
  'dspt_test_5demolost1200000000': {charge: 'chrg_test_5demochrg1200000000', amount: 99000, status: 'CLOSED', result: 'LOST', reason: 'OTHER'},
};
const DEMO_IDS = Object.keys(DEMO);
const NOT_VISIBLE = ['dspt_5demolive1000000000', 'dspt_5demolive2000000000', 'dspt_test_5otheracct100000000'];
// Omise uploads appear as one-page CREATED documents (details_of_purchase = INVOICE,
// proof_of_receipt = DELIVERY_PROOF).
const DEMO_DOCS = {
  'docu_test_5g5iiejzhyhbfyj6kzs': {dispute: 'dspt_test_5g5ih3pybo7v4wwrbjw', type: 'INVOICE', file: 'receipt.png', contentType: 'image/png'},
  'docu_test_53f7n2a4rzvii1p8tn7': {dispute: 'dspt_test_4zgf15h89w8t775kcm8', type: 'DELIVERY_PROOF', file: 'delivery-slip.jpg', contentType: 'image/jpeg'},
  'docu_test_5xuy4w91xqz7d1w9u0t': {dispute: 'dspt_test_5xuy4w91xqz7d1w9u0t', type: 'INVOICE', file: 'invoice.pdf', contentType: 'application/pdf'},
};

const DISPUTE_KEYS = ['Id', 'Tag', 'CreationDate', 'InitialTransactionId', 'InitialTransactionType',
  'InitialTransactionNature', 'DisputeType', 'ContestDeadlineDate', 'DisputedFunds', 'ContestedFunds',
  'Status', 'StatusMessage', 'DisputeReason', 'ResultCode', 'ResultMessage', 'ClosedDate', 'RepudiationId'];
const DOCUMENT_KEYS = ['Id', 'Tag', 'CreationDate', 'DisputeId', 'Type', 'Status', 'RefusedReasonType',
  'RefusedReasonMessage', 'ProcessedDate'];
const TRANSACTION_KEYS = ['Id', 'Tag', 'CreationDate', 'AuthorId', 'CreditedUserId', 'DebitedFunds',
  'CreditedFunds', 'Fees', 'Status', 'ResultCode', 'ResultMessage', 'ExecutionDate', 'Type', 'Nature',
  'CreditedWalletId', 'DebitedWalletId'];
const ERROR_KEYS = ['Message', 'Type', 'Id', 'Date', 'errors'];

// Page files: fixtures/files, each checked against the 1,024-byte minimum of a page.
function fixture(name) {
  const bytes = fs.readFileSync(path.join(FILES, name));
  return bytes;
}
const PNG = fixture('receipt.png');
const JPG = fixture('delivery-slip.jpg');
const PDF = fixture('invoice.pdf');
// The invoice's first half kilobyte: under a page's 1,024-byte minimum.
const SMALL_PDF = PDF.subarray(0, 512);

// Errors the SDK reports through its errorHandler (default: console.error) are kept here.
const reported = [];
const api = new Mangopay({
  clientId: CLIENT_ID,
  clientApiKey: API_KEY,
  baseUrl: BASE,
  errorHandler: (message, body) => reported.push({message, body}),
});

// ---------------------------------------------------------------------------------------------
// helpers

/** A short, printable account of what an SDK call resolved to (a full response is circular). */
function describe(value) {
  if (value && typeof value === 'object' && 'status' in value && 'headers' in value) {
    return `HTTP ${value.status} ${String(JSON.stringify(value.body)).slice(0, 400)}`;
  }
  try {
    return String(JSON.stringify(value)).slice(0, 400);
  } catch (e) {
    return String(value);
  }
}

/** Resolves the rejection of `promise` (failing if it resolves or does not settle in time). */
async function rejection(promise, ms = 20000) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the SDK promise did not settle within ${ms} ms`)), ms);
  });
  try {
    const value = await Promise.race([promise, timeout]);
    assert.fail('expected a rejection, got ' + describe(value));
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    if (err instanceof Error && /did not settle/.test(err.message)) throw err;
    return err;
  } finally {
    clearTimeout(timer);
  }
}

/** The rejection of a call made with resolveWithFullResponse: {status, body}. */
async function httpError(promise, status, type) {
  const res = await rejection(promise);
  assert.ok(res && typeof res === 'object' && 'status' in res, 'not a full response: ' + describe(res));
  assert.equal(res.status, status, JSON.stringify(res.body));
  assertError(res.body, type);
  return res.body;
}

function assertError(body, type) {
  assert.ok(body && typeof body === 'object', 'error body: ' + JSON.stringify(body));
  for (const k of ERROR_KEYS) assert.ok(k in body, `error without ${k}: ${JSON.stringify(body)}`);
  assert.equal(body.Type, type, JSON.stringify(body));
  assert.equal(typeof body.Message, 'string');
  assert.ok(Number.isInteger(body.Date), JSON.stringify(body));
}

function chargeId() {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  let s = '';
  for (const b of crypto.randomBytes(19)) s += alphabet[b % 36];
  return 'chrg_test_' + s;
}

async function ops(p, body) {
  const res = await fetch(`${BASE}/ops${p}`, {
    method: 'POST',
    headers: {'Authorization': 'Bearer ' + OPS_TOKEN, 'Content-Type': 'application/json'},
    body: JSON.stringify(body || {}),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `POST /ops${p}: ${text}`);
  return JSON.parse(text);
}

/** A fresh dispute of the demo account (through the operator API); its id. */
async function openDispute(extra = {}) {
  const body = await ops('/disputes', {
    account: ACCOUNT, mode: 'test', charge: chargeId(), amount: 50000, currency: 'THB', ...extra,
  });
  assert.equal(body.status, 'open', JSON.stringify(body));
  return body.id;
}

/** The same dispute as the Omise dialect shows it. */
async function omiseDispute(id) {
  const res = await fetch(`${BASE}/disputes/${id}`, {
    headers: {'Authorization': 'Basic ' + Buffer.from(OMISE_KEY + ':').toString('base64')},
  });
  assert.equal(res.status, 200);
  return res.json();
}

function assertDispute(d) {
  for (const k of DISPUTE_KEYS) assert.ok(k in d, `dispute ${d.Id} without ${k}`);
  assert.match(d.Id, /^dspt_test_[0-9a-z]{19}$/);
  assert.ok(Number.isInteger(d.CreationDate), `CreationDate ${d.CreationDate}`);
  assert.equal(d.InitialTransactionType, 'PAYIN');
  assert.equal(d.InitialTransactionNature, 'REGULAR');
  assert.ok(['CONTESTABLE', 'NOT_CONTESTABLE', 'RETRIEVAL'].includes(d.DisputeType), d.DisputeType);
  assert.ok(d.ContestDeadlineDate === null || Number.isInteger(d.ContestDeadlineDate));
  assert.deepEqual(Object.keys(d.DisputedFunds).sort(), ['Amount', 'Currency']);
  assert.ok(Number.isInteger(d.DisputedFunds.Amount));
  assert.ok(['PENDING_CLIENT_ACTION', 'REOPENED_PENDING_CLIENT_ACTION', 'SUBMITTED', 'CLOSED'].includes(d.Status), d.Status);
  assert.ok('DisputeReasonType' in d.DisputeReason && 'DisputeReasonMessage' in d.DisputeReason);
  if (d.Status === 'CLOSED') {
    assert.ok(['WON', 'LOST'].includes(d.ResultCode), d.ResultCode);
    assert.ok(Number.isInteger(d.ClosedDate));
  } else {
    assert.equal(d.ResultCode, '');
    assert.equal(d.ClosedDate, null);
  }
  if (d.ContestedFunds !== null) {
    assert.deepEqual(Object.keys(d.ContestedFunds).sort(), ['Amount', 'Currency']);
  }
}

function assertDemo(d) {
  assertDispute(d);
  const want = DEMO[d.Id];
  assert.ok(want, `not a demo dispute: ${d.Id}`);
  assert.equal(d.InitialTransactionId, want.charge);
  assert.deepEqual({...d.DisputedFunds}, {Currency: 'THB', Amount: want.amount});
  assert.equal(d.Status, want.status, d.Id);
  assert.equal(d.ResultCode, want.result || '', d.Id);
  assert.equal(d.DisputeReason.DisputeReasonType, want.reason, d.Id);
  assert.equal(d.DisputeType, 'CONTESTABLE');
}

function assertDocument(doc) {
  for (const k of DOCUMENT_KEYS) assert.ok(k in doc, `document ${doc.Id} without ${k}`);
  assert.match(doc.Id, /^docu_test_[0-9a-z]{19}$/);
  assert.ok(Number.isInteger(doc.CreationDate));
  assert.ok(['DELIVERY_PROOF', 'INVOICE', 'REFUND_PROOF', 'USER_CORRESPONDANCE', 'USER_ACCEPTANCE_PROOF',
    'PRODUCT_REPLACEMENT_PROOF', 'OTHER'].includes(doc.Type), doc.Type);
  assert.ok(['CREATED', 'VALIDATION_ASKED', 'VALIDATED', 'REFUSED', 'OUT_OF_DATE'].includes(doc.Status), doc.Status);
}

function parseLink(header) {
  assert.equal(typeof header, 'string', 'no Link header');
  const rels = {};
  for (const m of header.matchAll(/<([^>]*)>;\s*rel="(\w+)"/g)) {
    assert.ok(!m[1].includes(','), `a raw comma in a Link URL: ${m[1]}`);
    rels[m[2]] = new URL(m[1]);
  }
  assert.equal(header.split(',').length, Object.keys(rels).length, `Link: ${header}`);
  return rels;
}

function isSorted(list, dir) {
  for (let i = 1; i < list.length; i++) {
    const [a, b] = [list[i - 1].CreationDate, list[i].CreationDate];
    if (dir === 'ASC' ? a > b : a < b) return false;
  }
  return true;
}

/** Every dispute the demo ClientId sees (all pages, through the SDK). */
async function allDisputes(parameters = {}) {
  const seen = [];
  for (let page = 1; page < 100; page++) {
    const got = await api.Disputes.getAll({parameters: {...parameters, page, per_page: 100}});
    seen.push(...got);
    if (got.length < 100) break;
  }
  return seen;
}

/** A fresh dispute with one CREATED document (Type, Tag) of no page; [disputeId, document]. */
async function disputeWithDocument(type = 'DELIVERY_PROOF') {
  const id = await openDispute();
  const doc = await api.Disputes.createDisputeDocument(id, {Type: type, Tag: 'node ' + type});
  return [id, doc];
}

// ---------------------------------------------------------------------------------------------
// set-up checks

test('the SDK under test is mangopay4-nodejs-sdk 1.68.0', () => {
  assert.equal(SDK_VERSION, '1.68.0');
});

test('the page files are real PNG / JPEG / PDF, over the 1,024-byte minimum, and a slice of the PDF under it', () => {
  assert.ok(PNG.length >= 1024, `receipt.png is ${PNG.length} bytes`);
  assert.ok(JPG.length >= 1024, `delivery-slip.jpg is ${JPG.length} bytes`);
  assert.ok(PDF.length >= 1024, `invoice.pdf is ${PDF.length} bytes`);
  assert.ok(SMALL_PDF.length < 1024);
  assert.equal(PNG.subarray(0, 8).toString('latin1'), '\x89PNG\r\n\x1a\n');
  assert.equal(JPG.subarray(0, 3).toString('latin1'), '\xff\xd8\xff');
  assert.equal(SMALL_PDF.subarray(0, 5).toString('latin1'), '%PDF-');
});

// ---------------------------------------------------------------------------------------------
// OAuth

test('OAuth token: authorize() gets a Bearer token that lives over 60 s', async () => {
  const token = await api.authorize();
  assert.equal(token.token_type, 'Bearer');
  assert.equal(typeof token.access_token, 'string');
  assert.ok(token.access_token.length >= 16);
  assert.ok(Number.isInteger(token.expires_in) && token.expires_in > 60, `expires_in ${token.expires_in}`);
  // The next call reuses it (no loop of token requests: bug N2 needs expires_in > 60).
  assert.ok(!api.isExpired());
  const list = await api.Disputes.getAll({parameters: {per_page: 1}});
  assert.equal(list.length, 1);
});

test('OAuth token: a token request with wrong credentials is 401 invalid_credentials (plain HTTP)', async () => {
  const res = await fetch(`${BASE}/v2.01/oauth/token`, {
    method: 'POST',
    headers: {
      'Authorization': 'Basic ' + Buffer.from(`${CLIENT_ID}:wrong_api_key_00000000000`).toString('base64'),
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  assert.equal(res.status, 401);
  const body = await res.json();
  assertError(body, 'invalid_credentials');
  assert.equal(body.errors, null);
});

test("a token is refused on another ClientId's paths, and without a token (plain HTTP)", async () => {
  const auth = api.requestOptions.headers.Authorization;
  assert.match(auth, /^Bearer /);
  let res = await fetch(`${BASE}/v2.01/${OTHER_CLIENT_ID}/disputes`, {headers: {'Authorization': auth}});
  assert.equal(res.status, 401);
  assertError(await res.json(), 'invalid_credentials');
  res = await fetch(`${API}/disputes`);
  assert.equal(res.status, 401);
  assertError(await res.json(), 'invalid_credentials');
  // The other ClientId's own token works on its own paths and sees none of the demo disputes.
  const tok = await fetch(`${BASE}/v2.01/oauth/token`, {
    method: 'POST',
    headers: {'Authorization': 'Basic ' + Buffer.from(`${OTHER_CLIENT_ID}:${OTHER_API_KEY}`).toString('base64')},
  });
  assert.equal(tok.status, 200);
  const {access_token: other} = await tok.json();
  res = await fetch(`${BASE}/v2.01/${OTHER_CLIENT_ID}/disputes?per_page=100`, {headers: {'Authorization': 'Bearer ' + other}});
  assert.equal(res.status, 200);
  assert.deepEqual((await res.json()).map((d) => d.Id), ['dspt_test_5otheracct100000000']);
});

// ---------------------------------------------------------------------------------------------
// Lists of disputes (read-only tests first: the demo data is as seeded)

test('getAll({parameters: {page, per_page}}) lists exactly the demo test-mode disputes, newest first', async () => {
  const res = await api.Disputes.getAll({parameters: {page: 1, per_page: 100}, resolveWithFullResponse: true});
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'], /^application\/json/);
  const list = res.body;
  assert.deepEqual(list.map((d) => d.Id).sort(), [...DEMO_IDS].sort());
  for (const d of list) assertDemo(d);
  for (const id of NOT_VISIBLE) assert.ok(!list.some((d) => d.Id === id), id);
  assert.ok(isSorted(list, 'DESC'), 'default order is CreationDate:DESC');
  assert.equal(res.headers['x-number-of-items'], String(DEMO_IDS.length));
  assert.equal(res.headers['x-number-of-pages'], '1');
  // Without full response the items are the SDK's Dispute models.
  const models = await api.Disputes.getAll({parameters: {page: 1, per_page: 100}});
  assert.ok(models.every((d) => d instanceof api.models.Dispute));
  assert.deepEqual(models.map((d) => d.Id), list.map((d) => d.Id));
});

test('getAll() without parameters: page 1 of 10, paging headers and Link', async () => {
  const res = await api.Disputes.getAll({resolveWithFullResponse: true});
  assert.equal(res.body.length, 10);
  assert.equal(res.headers['x-number-of-items'], '12');
  assert.equal(res.headers['x-number-of-pages'], '2');
  const link = parseLink(res.headers['link']);
  assert.ok(link.first && link.next && link.last, res.headers['link']);
  assert.equal(link.next.searchParams.get('page'), '2');
  assert.equal(link.last.searchParams.get('page'), '2');
  assert.equal(link.first.searchParams.get('page'), '1');
  assert.equal(link.next.origin + link.next.pathname, `${API}/disputes`);
});

test('getAll pages with page/per_page and Page/Per_Page alike; Link has first/prev/next/last', async () => {
  const whole = (await api.Disputes.getAll({parameters: {per_page: 100}})).map((d) => d.Id);
  const pages = [];
  for (let page = 1; page <= 3; page++) {
    const res = await api.Disputes.getAll({parameters: {page, per_page: 5}, resolveWithFullResponse: true});
    assert.equal(res.headers['x-number-of-items'], '12');
    assert.equal(res.headers['x-number-of-pages'], '3');
    pages.push(res.body.map((d) => d.Id));
    const link = parseLink(res.headers['link']);
    assert.ok(link.first && link.last, res.headers['link']);
    assert.equal(link.last.searchParams.get('page'), '3');
    assert.equal(link.last.searchParams.get('per_page'), '5');
    if (page === 2) {
      assert.equal(link.prev.searchParams.get('page'), '1');
      assert.equal(link.next.searchParams.get('page'), '3');
      assert.ok(link.prev.href.startsWith(BASE + '/'), 'absolute Link URLs');
    }
  }
  assert.deepEqual(pages.map((p) => p.length), [5, 5, 2]);
  assert.deepEqual(pages.flat(), whole, 'pages concatenate to the whole list, in order');
  const capital = await api.Disputes.getAll({parameters: {Page: 2, Per_Page: 5}});
  assert.deepEqual(capital.map((d) => d.Id), pages[1]);
  const past = await api.Disputes.getAll({parameters: {page: 9, per_page: 5}, resolveWithFullResponse: true});
  assert.equal(past.status, 200);
  assert.deepEqual(past.body, []);
  const clamped = await api.Disputes.getAll({parameters: {per_page: 1000}, resolveWithFullResponse: true});
  assert.equal(clamped.body.length, 12);
  assert.equal(clamped.headers['x-number-of-pages'], '1');
});

test('getAll with a bad page or per_page rejects with 400 param_error', async () => {
  for (const parameters of [{page: 0}, {per_page: 0}, {page: 'x'}]) {
    await httpError(api.Disputes.getAll({parameters, resolveWithFullResponse: true}), 400, 'param_error');
  }
});

test('getAll sorts by CreationDate both ways (Sort=CreationDate:ASC|DESC, any case)', async () => {
  const asc = await api.Disputes.getAll({parameters: {per_page: 100, Sort: 'CreationDate:ASC'}});
  const desc = await api.Disputes.getAll({parameters: {per_page: 100, Sort: 'CreationDate:DESC'}});
  const lower = await api.Disputes.getAll({parameters: {per_page: 100, Sort: 'CreationDate:asc'}});
  assert.equal(asc.length, 12);
  assert.ok(isSorted(asc, 'ASC'));
  assert.ok(isSorted(desc, 'DESC'));
  assert.deepEqual(lower.map((d) => d.Id), asc.map((d) => d.Id));
  assert.deepEqual([...asc.map((d) => d.Id)].sort(), [...desc.map((d) => d.Id)].sort());
  await httpError(api.Disputes.getAll({parameters: {Sort: 'Amount:ASC'}, resolveWithFullResponse: true}), 400, 'param_error');
});

test('getAll filters by one Status', async () => {
  const expect = (status) => DEMO_IDS.filter((id) => DEMO[id].status === status).sort();
  for (const status of ['PENDING_CLIENT_ACTION', 'SUBMITTED', 'CLOSED']) {
    const res = await api.Disputes.getAll({parameters: {Status: status, per_page: 100}, resolveWithFullResponse: true});
    assert.deepEqual(res.body.map((d) => d.Id).sort(), expect(status), status);
    assert.ok(res.body.every((d) => d.Status === status));
    assert.equal(res.headers['x-number-of-items'], String(expect(status).length));
  }
  const reopened = await api.Disputes.getAll({parameters: {Status: 'REOPENED_PENDING_CLIENT_ACTION'}, resolveWithFullResponse: true});
  assert.deepEqual(reopened.body, []);
  assert.equal(reopened.headers['x-number-of-items'], '0');
  assert.equal(reopened.headers['x-number-of-pages'], '0');
  const closed = await api.Disputes.getAll({parameters: {Status: 'CLOSED'}});
  assert.deepEqual(closed.filter((d) => d.ResultCode === 'WON').map((d) => d.Id).sort(),
    ['dspt_test_5demowon10000000000', 'dspt_test_5demowon90000000000']);
});

test('getAll filters by several Status values: comma-joined, an array (Status[]=), with spaces', async () => {
  const want = DEMO_IDS.filter((id) => ['SUBMITTED', 'CLOSED'].includes(DEMO[id].status)).sort();
  const comma = await api.Disputes.getAll({parameters: {Status: 'SUBMITTED,CLOSED', per_page: 100}, resolveWithFullResponse: true});
  assert.deepEqual(comma.body.map((d) => d.Id).sort(), want);
  assert.equal(comma.headers['x-number-of-items'], String(want.length));
  parseLink(comma.headers['link']); // no raw comma inside the echoed Status
  const spaced = await api.Disputes.getAll({parameters: {Status: 'SUBMITTED, CLOSED', per_page: 100}});
  assert.deepEqual(spaced.map((d) => d.Id).sort(), want);
  const array = await api.Disputes.getAll({parameters: {Status: ['SUBMITTED', 'CLOSED'], per_page: 100}});
  assert.deepEqual(array.map((d) => d.Id).sort(), want);
  const three = await api.Disputes.getAll({
    parameters: {Status: 'PENDING_CLIENT_ACTION,REOPENED_PENDING_CLIENT_ACTION,SUBMITTED', per_page: 100},
  });
  assert.equal(three.length, 8);
  await httpError(api.Disputes.getAll({parameters: {Status: 'OPEN'}, resolveWithFullResponse: true}), 400, 'param_error');
});

test('getAll filters by DisputeType and by BeforeDate/AfterDate', async () => {
  const contestable = await api.Disputes.getAll({parameters: {DisputeType: 'CONTESTABLE', per_page: 100}});
  assert.equal(contestable.length, 12);
  const retrieval = await api.Disputes.getAll({parameters: {DisputeType: 'RETRIEVAL'}});
  assert.deepEqual(retrieval, []);
  await httpError(api.Disputes.getAll({parameters: {DisputeType: 'NOPE'}, resolveWithFullResponse: true}), 400, 'param_error');
  const now = Math.floor(Date.now() / 1000);
  assert.equal((await api.Disputes.getAll({parameters: {BeforeDate: now + 60, per_page: 100}})).length, 12);
  assert.deepEqual(await api.Disputes.getAll({parameters: {AfterDate: now + 60}}), []);
  assert.deepEqual(await api.Disputes.getAll({parameters: {BeforeDate: 1463440221}}), []);
});

test('getPendingSettlement() answers a list (CLOSED and LOST disputes, if any)', async () => {
  const res = await api.Disputes.getPendingSettlement({resolveWithFullResponse: true});
  assert.equal(res.status, 200);
  assert.ok(Array.isArray(res.body));
  for (const d of res.body) {
    assertDispute(d);
    assert.equal(d.Status, 'CLOSED');
    assert.equal(d.ResultCode, 'LOST');
  }
  assert.ok('x-number-of-items' in res.headers);
  const models = await api.Disputes.getPendingSettlement();
  assert.equal(models.length, res.body.length);
});

test('getDisputesForPayIn(InitialTransactionId) finds the dispute of that charge', async () => {
  const d = await api.Disputes.get('dspt_test_4zgf15h89w8t775kcm8');
  const got = await api.Disputes.getDisputesForPayIn(d.InitialTransactionId);
  assert.deepEqual(got.map((x) => x.Id), ['dspt_test_4zgf15h89w8t775kcm8']);
  assertDemo(got[0]);
  const none = await api.Disputes.getDisputesForPayIn('chrg_test_' + '9'.repeat(19), {resolveWithFullResponse: true});
  assert.equal(none.status, 200);
  assert.deepEqual(none.body, []);
  // Flat filters one argument later are passed as parameters by these methods.
  const paged = await api.Disputes.getDisputesForPayIn(d.InitialTransactionId, {parameters: {per_page: 1, page: 2}});
  assert.deepEqual(paged, []);
});

test('getDisputesForUser / getDisputesForWallet answer lists ([] for unknown ids)', async () => {
  for (const call of [api.Disputes.getDisputesForUser, api.Disputes.getDisputesForWallet]) {
    const res = await call.call(api.Disputes, 'user_or_wallet_unknown_1', {resolveWithFullResponse: true});
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, []);
    assert.equal(res.headers['x-number-of-items'], '0');
  }
});

// ---------------------------------------------------------------------------------------------
// One dispute

test('get(id) views a dispute in every status', async () => {
  for (const id of ['dspt_test_5g5ih3pybo7v4wwrbjw', 'dspt_test_5demopend6000000000',
    'dspt_test_5demowon90000000000', 'dspt_test_5demolost1100000000']) {
    const d = await api.Disputes.get(id);
    assert.ok(d instanceof api.models.Dispute);
    assertDemo(d);
    assert.equal(d.Id, id);
  }
  const full = await api.Disputes.get('dspt_test_5g5ih3pybo7v4wwrbjw', {resolveWithFullResponse: true});
  assert.match(full.headers['content-type'], /^application\/json; charset=utf-8$/i);
  assert.equal(full.body.ContestedFunds, null);
  assert.equal(full.body.ResultMessage, null);
});

test('get() of an unknown dispute rejects with 404 ressource_not_found and an errors object', async () => {
  const body = await httpError(api.Disputes.get('dspt_test_' + '0'.repeat(19), {resolveWithFullResponse: true}),
    404, 'ressource_not_found');
  assert.ok(body.errors && typeof body.errors === 'object', JSON.stringify(body));
  // Without full response the rejection is the error body itself.
  const plain = await rejection(api.Disputes.get('dspt_test_' + '0'.repeat(19)));
  assert.equal(plain.Type, 'ressource_not_found');
  // Another account's dispute is just as unknown.
  await httpError(api.Disputes.get('dspt_test_5otheracct100000000', {resolveWithFullResponse: true}), 404, 'ressource_not_found');
});

test('update({Id, Tag}) sets the Tag; update(fetchedDispute) sends the whole object and only Tag counts', async () => {
  const id = await openDispute();
  const tagged = await api.Disputes.update({Id: id, Tag: 'node tag 1'});
  assert.ok(tagged instanceof api.models.Dispute);
  assert.equal(tagged.Tag, 'node tag 1');
  assert.equal(tagged.Status, 'PENDING_CLIENT_ACTION');
  const fetched = await api.Disputes.get(id);
  assert.equal(fetched.Tag, 'node tag 1');
  fetched.Tag = 'node tag 2';
  fetched.Status = 'CLOSED'; // read-only fields in the body are ignored
  fetched.DisputedFunds = {Currency: 'EUR', Amount: 1};
  const again = await api.Disputes.update(fetched);
  assert.equal(again.Tag, 'node tag 2');
  assert.equal(again.Status, 'PENDING_CLIENT_ACTION');
  assert.deepEqual({...again.DisputedFunds}, {Currency: 'THB', Amount: 50000});
  const cleared = await api.Disputes.update({Id: id, Tag: null});
  assert.equal(cleared.Tag, null);
  // A Tag over 255 characters is a param_error.
  await httpError(api.Disputes.update({Id: id, Tag: 'x'.repeat(256)}, {resolveWithFullResponse: true}), 400, 'param_error');
  // Tags are allowed in any status.
  const closed = await api.Disputes.update({Id: 'dspt_test_5demolost1200000000', Tag: 'closed but tagged'});
  assert.equal(closed.Tag, 'closed but tagged');
  assert.equal(closed.Status, 'CLOSED');
});

test('contestDispute(id, {Currency, Amount}) submits: SUBMITTED with ContestedFunds (Omise: pending)', async () => {
  const id = await openDispute({amount: 50000});
  const doc = await api.Disputes.createDisputeDocument(id, {Type: 'INVOICE'});
  await api.Disputes.createDisputeDocumentPage(id, doc.Id, {File: PNG.toString('base64')});
  const d = await api.Disputes.contestDispute(id, {Currency: 'THB', Amount: 40000});
  assert.ok(d instanceof api.models.Dispute);
  assertDispute(d);
  assert.equal(d.Status, 'SUBMITTED');
  assert.deepEqual({...d.ContestedFunds}, {Currency: 'THB', Amount: 40000});
  assert.equal((await api.Disputes.get(id)).Status, 'SUBMITTED');
  assert.equal((await omiseDispute(id)).status, 'pending');
  // Its CREATED documents were submitted with it.
  assert.equal((await api.DisputeDocuments.get(doc.Id)).Status, 'VALIDATION_ASKED');
  // A second contest is refused: wrong state.
  const body = await httpError(api.Disputes.contestDispute(id, {Currency: 'THB', Amount: 40000}, {resolveWithFullResponse: true}),
    400, 'param_error');
  assert.ok(body.errors && 'Status' in body.errors, JSON.stringify(body));
});

test('contestDispute validates ContestedFunds (currency, 0 < Amount <= disputed, required)', async () => {
  const id = await openDispute({amount: 50000});
  const full = {resolveWithFullResponse: true};
  for (const funds of [{Currency: 'EUR', Amount: 100}, {Currency: 'THB', Amount: 50001},
    {Currency: 'THB', Amount: 0}, {Currency: 'THB', Amount: -5}]) {
    const body = await httpError(api.Disputes.contestDispute(id, funds, full), 400, 'param_error');
    assert.ok(body.errors && typeof body.errors === 'object', JSON.stringify(body));
  }
  // The SDK always sends ContestedFunds; given {} it sends "ContestedFunds": {}.
  await httpError(api.Disputes.contestDispute(id, {}, full), 400, 'param_error');
  // A first submission without ContestedFunds at all (what resubmitDispute sends) is refused too.
  const body = await httpError(api.Disputes.resubmitDispute(id, full), 400, 'param_error');
  assert.ok(body.errors && 'ContestedFunds' in body.errors, JSON.stringify(body));
  // Still awaiting evidence; the whole amount is fine.
  assert.equal((await api.Disputes.get(id)).Status, 'PENDING_CLIENT_ACTION');
  const d = await api.Disputes.contestDispute(id, {Currency: 'THB', Amount: 50000});
  assert.equal(d.Status, 'SUBMITTED');
});

test('NOT_CONTESTABLE and RETRIEVAL disputes, and a passed ContestDeadlineDate, cannot be contested', async () => {
  const full = {resolveWithFullResponse: true};
  for (const type of ['NOT_CONTESTABLE', 'RETRIEVAL']) {
    const id = await openDispute({currency: 'EUR', amount: 1000, dispute_type: type, reason_type: 'FRAUD'});
    const d = await api.Disputes.get(id);
    assert.equal(d.DisputeType, type);
    assert.deepEqual({...d.DisputedFunds}, {Currency: 'EUR', Amount: 1000});
    assert.equal(d.DisputeReason.DisputeReasonType, 'FRAUD');
    await httpError(api.Disputes.contestDispute(id, {Currency: 'EUR', Amount: 100}, full), 400, 'param_error');
    assert.equal((await api.Disputes.get(id)).Status, 'PENDING_CLIENT_ACTION');
    const listed = await api.Disputes.getAll({parameters: {DisputeType: type}});
    assert.ok(listed.some((x) => x.Id === id) && listed.every((x) => x.DisputeType === type));
  }
  const deadline = Math.floor(Date.now() / 1000) - 100;
  const late = await openDispute({contest_deadline: deadline});
  assert.equal((await api.Disputes.get(late)).ContestDeadlineDate, deadline);
  await httpError(api.Disputes.contestDispute(late, {Currency: 'THB', Amount: 100}, full), 400, 'param_error');
  const soon = await openDispute({contest_deadline: deadline + 86400});
  assert.equal((await api.Disputes.contestDispute(soon, {Currency: 'THB', Amount: 100})).Status, 'SUBMITTED');
});

test('resubmitDispute(id) after the operator reopened it: REOPENED_PENDING_CLIENT_ACTION -> SUBMITTED', async () => {
  const id = await openDispute({amount: 70000});
  await api.Disputes.contestDispute(id, {Currency: 'THB', Amount: 70000});
  // The bank asks for more evidence (operator HTTP API, bearer OPS_TOKEN).
  await ops(`/disputes/${id}/reopen`, {admin_message: 'Please add the signed delivery slip'});
  const reopened = await api.Disputes.get(id);
  assert.equal(reopened.Status, 'REOPENED_PENDING_CLIENT_ACTION');
  assert.equal(reopened.StatusMessage, 'Please add the signed delivery slip');
  assert.equal((await omiseDispute(id)).status, 'open');
  const listed = await api.Disputes.getAll({parameters: {Status: 'REOPENED_PENDING_CLIENT_ACTION'}});
  assert.ok(listed.some((d) => d.Id === id));
  // More evidence is accepted again, then the resubmission (body {Id}: no ContestedFunds needed).
  const doc = await api.Disputes.createDisputeDocument(id, {Type: 'DELIVERY_PROOF'});
  await api.Disputes.createDisputeDocumentPageFromFile(id, doc.Id, path.join(FILES, 'delivery-slip.jpg'));
  const d = await api.Disputes.resubmitDispute(id);
  assert.ok(d instanceof api.models.Dispute);
  assert.equal(d.Status, 'SUBMITTED');
  assert.deepEqual({...d.ContestedFunds}, {Currency: 'THB', Amount: 70000});
  assert.equal((await api.DisputeDocuments.get(doc.Id)).Status, 'VALIDATION_ASKED');
  assert.equal((await omiseDispute(id)).status, 'pending');
  // Not again: it is no longer awaiting evidence.
  await httpError(api.Disputes.resubmitDispute(id, {resolveWithFullResponse: true}), 400, 'param_error');
});

test('closeDispute(id) concedes: CLOSED, ResultCode LOST, ClosedDate (Omise: lost)', async () => {
  const id = await openDispute();
  const doc = await api.Disputes.createDisputeDocument(id, {Type: 'OTHER'});
  const before = Math.floor(Date.now() / 1000);
  const d = await api.Disputes.closeDispute(id);
  assert.ok(d instanceof api.models.Dispute);
  assertDispute(d);
  assert.equal(d.Status, 'CLOSED');
  assert.equal(d.ResultCode, 'LOST');
  assert.ok(d.ClosedDate >= before - 5 && d.ClosedDate <= before + 60, `ClosedDate ${d.ClosedDate}`);
  assert.equal((await omiseDispute(id)).status, 'lost');
  // Nothing can be added to it any more.
  assert.equal((await api.Disputes.getDocumentsForDispute(id)).map((x) => x.Id).join(), doc.Id);
  await httpError(api.Disputes.createDisputeDocument(id, {Type: 'OTHER'}, {resolveWithFullResponse: true}), 400, 'param_error');
  // Closing again, or contesting a closed dispute, is a wrong state.
  await httpError(api.Disputes.closeDispute(id, {resolveWithFullResponse: true}), 400, 'param_error');
  await httpError(api.Disputes.contestDispute(id, {Currency: 'THB', Amount: 1}, {resolveWithFullResponse: true}), 400, 'param_error');
  // A submitted dispute cannot be closed by the client either.
  await httpError(api.Disputes.closeDispute('dspt_test_5demopend8000000000', {resolveWithFullResponse: true}), 400, 'param_error');
  // Pending settlement still only lists CLOSED / LOST.
  for (const x of await api.Disputes.getPendingSettlement()) assert.equal(x.ResultCode, 'LOST');
});

test('close / contest / resubmit / update of an unknown dispute reject with 404', async () => {
  const id = 'dspt_test_' + '1'.repeat(19);
  const full = {resolveWithFullResponse: true};
  await httpError(api.Disputes.closeDispute(id, full), 404, 'ressource_not_found');
  await httpError(api.Disputes.contestDispute(id, {Currency: 'THB', Amount: 1}, full), 404, 'ressource_not_found');
  await httpError(api.Disputes.resubmitDispute(id, full), 404, 'ressource_not_found');
  await httpError(api.Disputes.update({Id: id, Tag: 'x'}, full), 404, 'ressource_not_found');
});

test("getTransactions(id): the repudiation, and a settlement once won", async () => {
  const open = await api.Disputes.getTransactions('dspt_test_5g5ih3pybo7v4wwrbjw', {resolveWithFullResponse: true});
  assert.equal(open.status, 200);
  assert.ok('x-number-of-items' in open.headers);
  assert.ok(open.body.length >= 1);
  for (const t of open.body) {
    for (const k of TRANSACTION_KEYS) assert.ok(k in t, `transaction without ${k}: ${JSON.stringify(t)}`);
  }
  const rep = open.body.find((t) => t.Nature === 'REPUDIATION');
  assert.ok(rep, JSON.stringify(open.body));
  assert.equal(rep.Type, 'TRANSFER');
  assert.ok(['Currency', 'Amount'].every((k) => k in rep.DebitedFunds));
  const d = await api.Disputes.get('dspt_test_5g5ih3pybo7v4wwrbjw');
  assert.equal(d.RepudiationId, rep.Id);
  const models = await api.Disputes.getTransactions('dspt_test_5g5ih3pybo7v4wwrbjw');
  assert.ok(models.every((t) => t instanceof api.models.Transaction));
  const won = await api.Disputes.getTransactions('dspt_test_5demowon90000000000');
  assert.deepEqual(won.map((t) => t.Nature).sort(), ['REPUDIATION', 'SETTLEMENT']);
  const lost = await api.Disputes.getTransactions('dspt_test_5demolost1100000000');
  assert.deepEqual(lost.map((t) => t.Nature), ['REPUDIATION']);
  const paged = await api.Disputes.getTransactions('dspt_test_5demowon90000000000', {parameters: {per_page: 1, page: 2}});
  assert.equal(paged.length, 1);
  await httpError(api.Disputes.getTransactions('dspt_test_' + '2'.repeat(19), {resolveWithFullResponse: true}), 404, 'ressource_not_found');
});

// ---------------------------------------------------------------------------------------------
// Documents

test("getDocumentsForDispute(id): a demo dispute's Omise upload as a CREATED document", async () => {
  for (const [docId, want] of Object.entries(DEMO_DOCS)) {
    const res = await api.Disputes.getDocumentsForDispute(want.dispute, {resolveWithFullResponse: true});
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-number-of-items'], '1');
    assert.deepEqual(res.body.map((d) => d.Id), [docId]);
    const doc = res.body[0];
    assertDocument(doc);
    assert.equal(doc.DisputeId, want.dispute);
    assert.equal(doc.Type, want.type);
    assert.equal(doc.Status, 'CREATED');
    assert.equal(doc.ProcessedDate, null);
    assert.equal(doc.RefusedReasonType, null);
    assert.equal(doc.RefusedReasonMessage, null);
  }
  const models = await api.Disputes.getDocumentsForDispute('dspt_test_5g5ih3pybo7v4wwrbjw');
  assert.ok(models[0] instanceof api.models.DisputeDocument);
  assert.deepEqual(await api.Disputes.getDocumentsForDispute('dspt_test_5demoopen4000000000'), []);
  await httpError(api.Disputes.getDocumentsForDispute('dspt_test_' + '3'.repeat(19), {resolveWithFullResponse: true}),
    404, 'ressource_not_found');
});

test("getDocumentsForDispute(id, {parameters}) pages, sorts and filters by Status and Type", async () => {
  const id = await openDispute();
  const made = [];
  for (const type of ['INVOICE', 'DELIVERY_PROOF', 'INVOICE']) {
    made.push(await api.Disputes.createDisputeDocument(id, {Type: type}));
  }
  await api.Disputes.createDisputeDocumentPage(id, made[2].Id, {File: PNG.toString('base64')});
  await api.Disputes.updateDisputeDocument(id, {Id: made[2].Id, Status: 'VALIDATION_ASKED'});
  const all = await api.Disputes.getDocumentsForDispute(id, {parameters: {per_page: 100, Sort: 'CreationDate:ASC'}});
  assert.deepEqual([...all.map((d) => d.Id)].sort(), made.map((d) => d.Id).sort());
  assert.ok(isSorted(all, 'ASC'));
  const invoices = await api.Disputes.getDocumentsForDispute(id, {parameters: {Type: 'INVOICE'}});
  assert.deepEqual(invoices.map((d) => d.Id).sort(), [made[0].Id, made[2].Id].sort());
  const created = await api.Disputes.getDocumentsForDispute(id, {parameters: {Status: 'CREATED'}});
  assert.deepEqual(created.map((d) => d.Id).sort(), [made[0].Id, made[1].Id].sort());
  const both = await api.Disputes.getDocumentsForDispute(id, {parameters: {Status: 'CREATED', Type: 'INVOICE'}});
  assert.deepEqual(both.map((d) => d.Id), [made[0].Id]);
  const several = await api.Disputes.getDocumentsForDispute(id, {parameters: {Status: ['CREATED', 'VALIDATION_ASKED']}});
  assert.equal(several.length, 3);
  const page = await api.Disputes.getDocumentsForDispute(id, {parameters: {page: 2, per_page: 2}, resolveWithFullResponse: true});
  assert.equal(page.body.length, 1);
  assert.equal(page.headers['x-number-of-items'], '3');
  assert.equal(page.headers['x-number-of-pages'], '2');
  await httpError(api.Disputes.getDocumentsForDispute(id, {parameters: {Type: 'INVOICE_PROOF'}, resolveWithFullResponse: true}),
    400, 'param_error');
});

test('DisputeDocuments.getAll({parameters}) lists every document, filtered by Status and Type', async () => {
  const all = await api.DisputeDocuments.getAll({parameters: {per_page: 100}});
  assert.ok(all.every((d) => d instanceof api.models.DisputeDocument));
  for (const d of all) assertDocument(d);
  const ids = all.map((d) => d.Id);
  for (const id of Object.keys(DEMO_DOCS)) assert.ok(ids.includes(id), id);
  assert.ok(isSorted(all, 'DESC'));
  const createdInvoices = await api.DisputeDocuments.getAll({parameters: {Status: 'CREATED', Type: 'INVOICE', per_page: 100}});
  assert.ok(createdInvoices.every((d) => d.Status === 'CREATED' && d.Type === 'INVOICE'));
  for (const id of ['docu_test_5g5iiejzhyhbfyj6kzs', 'docu_test_5xuy4w91xqz7d1w9u0t']) {
    assert.ok(createdInvoices.some((d) => d.Id === id), id);
  }
  const delivery = await api.DisputeDocuments.getAll({parameters: {Type: 'DELIVERY_PROOF', per_page: 100}});
  assert.ok(delivery.every((d) => d.Type === 'DELIVERY_PROOF'));
  assert.ok(delivery.some((d) => d.Id === 'docu_test_53f7n2a4rzvii1p8tn7'));
  const asked = await api.DisputeDocuments.getAll({parameters: {Status: 'VALIDATION_ASKED', per_page: 100}, resolveWithFullResponse: true});
  assert.ok(asked.body.every((d) => d.Status === 'VALIDATION_ASKED'));
  assert.equal(asked.headers['x-number-of-items'], String(asked.body.length));
  const twoTypes = await api.DisputeDocuments.getAll({parameters: {Type: 'INVOICE,DELIVERY_PROOF', per_page: 100}});
  assert.equal(twoTypes.length, createdInvoices.length + delivery.length +
    (await api.DisputeDocuments.getAll({parameters: {Type: 'INVOICE', Status: 'VALIDATION_ASKED,VALIDATED,REFUSED,OUT_OF_DATE', per_page: 100}})).length);
  const page = await api.DisputeDocuments.getAll({parameters: {Page: 1, Per_Page: 2}, resolveWithFullResponse: true});
  assert.equal(page.body.length, 2);
  assert.equal(page.headers['x-number-of-items'], String(all.length));
  const link = parseLink(page.headers['link']);
  assert.equal(link.next.origin + link.next.pathname, `${API}/dispute-documents`);
  await httpError(api.DisputeDocuments.getAll({parameters: {Status: 'NOPE'}, resolveWithFullResponse: true}), 400, 'param_error');
  await httpError(api.DisputeDocuments.getAll({parameters: {Type: 'INVOICE_PROOF'}, resolveWithFullResponse: true}), 400, 'param_error');
});

test('DisputeDocuments.get(id) views a document; an unknown one is 404', async () => {
  const doc = await api.DisputeDocuments.get('docu_test_53f7n2a4rzvii1p8tn7');
  assert.ok(doc instanceof api.models.DisputeDocument);
  assertDocument(doc);
  assert.equal(doc.DisputeId, 'dspt_test_4zgf15h89w8t775kcm8');
  assert.equal(doc.Type, 'DELIVERY_PROOF');
  assert.equal(doc.Status, 'CREATED');
  const body = await httpError(api.DisputeDocuments.get('docu_test_' + '0'.repeat(19), {resolveWithFullResponse: true}),
    404, 'ressource_not_found');
  assert.ok(body.errors && typeof body.errors === 'object');
});

test('createDisputeDocument(id, {Type, Tag}) creates a CREATED document', async () => {
  const id = await openDispute();
  const doc = await api.Disputes.createDisputeDocument(id, {Type: 'DELIVERY_PROOF', Tag: 'Custom meta'});
  assert.ok(doc instanceof api.models.DisputeDocument);
  assertDocument(doc);
  assert.equal(doc.DisputeId, id);
  assert.equal(doc.Type, 'DELIVERY_PROOF');
  assert.equal(doc.Tag, 'Custom meta');
  assert.equal(doc.Status, 'CREATED');
  assert.equal(doc.ProcessedDate, null);
  assert.equal(doc.RefusedReasonType, null);
  assert.equal(doc.RefusedReasonMessage, null);
  const seen = await api.DisputeDocuments.get(doc.Id);
  assert.deepEqual([seen.Tag, seen.Type, seen.Status, seen.DisputeId], ['Custom meta', 'DELIVERY_PROOF', 'CREATED', id]);
  // Without Tag, and with every Type.
  for (const type of ['INVOICE', 'REFUND_PROOF', 'USER_CORRESPONDANCE', 'USER_ACCEPTANCE_PROOF', 'PRODUCT_REPLACEMENT_PROOF', 'OTHER']) {
    const d = await api.Disputes.createDisputeDocument(id, {Type: type});
    assert.equal(d.Type, type);
    assert.equal(d.Tag, null);
  }
});

test('createDisputeDocument refuses a bad Type, and a dispute that no longer awaits evidence', async () => {
  const id = await openDispute();
  const full = {resolveWithFullResponse: true};
  for (const data of [{Type: 'INVOICE_PROOF'}, {}, {Type: 'DELIVERY_PROOF', Tag: 'x'.repeat(256)}]) {
    const body = await httpError(api.Disputes.createDisputeDocument(id, data, full), 400, 'param_error');
    assert.ok(body.errors && typeof body.errors === 'object', JSON.stringify(body));
  }
  const body = await httpError(api.Disputes.createDisputeDocument(id, {Foo: 1}, full), 400, 'param_error');
  assert.ok('Type' in body.errors, JSON.stringify(body));
  const submitted = await httpError(
    api.Disputes.createDisputeDocument('dspt_test_5demopend7000000000', {Type: 'INVOICE'}, full), 400, 'param_error');
  assert.ok('Status' in submitted.errors, JSON.stringify(submitted));
  await httpError(api.Disputes.createDisputeDocument('dspt_test_' + '4'.repeat(19), {Type: 'INVOICE'}, full), 404, 'ressource_not_found');
});

test('createDisputeDocumentPage(id, doc, {File}) answers 204 with no body; pages from a file too', async () => {
  const [id, doc] = await disputeWithDocument();
  const res = await api.Disputes.createDisputeDocumentPage(id, doc.Id, {File: PNG.toString('base64')}, {resolveWithFullResponse: true});
  assert.equal(res.status, 204);
  assert.ok(res.body === '' || res.body === undefined || res.body === null, JSON.stringify(res.body));
  // base64 with embedded whitespace and newlines is tolerated
  const wrapped = JPG.toString('base64').replace(/(.{76})/g, '$1\n').replace(/(.{40})/, '$1 ');
  await api.Disputes.createDisputeDocumentPage(id, doc.Id, {File: wrapped});
  const fromFile = await api.Disputes.createDisputeDocumentPageFromFile(id, doc.Id, path.join(FILES, 'receipt.png'),
    {resolveWithFullResponse: true});
  assert.equal(fromFile.status, 204);
  assert.equal((await api.DisputeDocuments.get(doc.Id)).Status, 'CREATED');
  const pages = await api.DisputeDocuments.createDisputeDocumentConsult(doc.Id);
  assert.equal(pages.length, 3);
});

test('createDisputeDocumentPage validates base64, then size, then type', async () => {
  const [id, doc] = await disputeWithDocument();
  const full = {resolveWithFullResponse: true};
  const page = (file) => api.Disputes.createDisputeDocumentPage(id, doc.Id, {File: file}, full);
  let body = await httpError(page('this is not base64!!!'), 400, 'param_error');
  assert.ok('File' in body.errors, JSON.stringify(body));
  body = await httpError(page(SMALL_PDF.toString('base64')), 400, 'param_error'); // 512 bytes: too small
  assert.ok('File' in body.errors, JSON.stringify(body));
  body = await httpError(page(Buffer.alloc(2048, 'plain text, not evidence. ').toString('base64')), 415, 'unsupported_media_type');
  assert.ok('File' in body.errors, JSON.stringify(body));
  // A small text file is "too small" before it is "not a type": size comes first.
  await httpError(page(Buffer.from('tiny text').toString('base64')), 400, 'param_error');
  await httpError(page(undefined), 400, 'param_error');
  // over 7 MiB decoded (but a body under 11 MiB): 413
  const big = Buffer.concat([PNG, Buffer.alloc(7 * 1024 * 1024 + 1 - PNG.length)]);
  body = await httpError(page(big.toString('base64')), 413, 'payload_too_large');
  assert.ok('File' in body.errors, JSON.stringify(body));
  // No page was added by any of these.
  assert.deepEqual(await api.DisputeDocuments.createDisputeDocumentConsult(doc.Id), []);
  await httpError(api.Disputes.createDisputeDocumentPage(id, 'docu_test_' + '5'.repeat(19), {File: PNG.toString('base64')}, full),
    404, 'ressource_not_found');
});

test('a page body over 11 MiB is answered 413 (drained), and the SDK promise settles', async () => {
  const [id, doc] = await disputeWithDocument();
  const huge = Buffer.alloc(Math.ceil(11.5 * 1024 * 1024 * 3 / 4), 7).toString('base64');
  const res = await rejection(api.Disputes.createDisputeDocumentPage(id, doc.Id, {File: huge}, {resolveWithFullResponse: true}));
  assert.ok(res && res.status === 413, `expected a 413 response, got ${res && res.status} ${String(JSON.stringify(res && res.body)).slice(0, 300)}`);
  // The connection survives for the next call.
  assert.equal((await api.DisputeDocuments.get(doc.Id)).Status, 'CREATED');
});

test('updateDisputeDocument(id, {Id, Status: VALIDATION_ASKED}) submits a document with pages', async () => {
  const [id, doc] = await disputeWithDocument('INVOICE');
  const full = {resolveWithFullResponse: true};
  // No page yet: refused.
  let body = await httpError(api.Disputes.updateDisputeDocument(id, {Id: doc.Id, Status: 'VALIDATION_ASKED'}, full), 400, 'param_error');
  assert.ok('Status' in body.errors, JSON.stringify(body));
  await api.Disputes.createDisputeDocumentPage(id, doc.Id, {File: PNG.toString('base64')});
  // Only VALIDATION_ASKED may be asked for.
  for (const status of ['VALIDATED', 'CREATED', 'REFUSED']) {
    body = await httpError(api.Disputes.updateDisputeDocument(id, {Id: doc.Id, Status: status}, full), 400, 'param_error');
    assert.ok('Status' in body.errors, JSON.stringify(body));
  }
  const submitted = await api.Disputes.updateDisputeDocument(id, {Id: doc.Id, Status: 'VALIDATION_ASKED'});
  assert.ok(submitted instanceof api.models.DisputeDocument);
  assertDocument(submitted);
  assert.equal(submitted.Status, 'VALIDATION_ASKED');
  assert.equal(submitted.Type, 'INVOICE');
  assert.equal(submitted.Tag, 'node INVOICE');
  assert.equal((await api.DisputeDocuments.get(doc.Id)).Status, 'VALIDATION_ASKED');
  // The dispute itself still awaits evidence.
  assert.equal((await api.Disputes.get(id)).Status, 'PENDING_CLIENT_ACTION');
  // No more pages on a submitted document, and not twice.
  body = await httpError(api.Disputes.createDisputeDocumentPage(id, doc.Id, {File: PNG.toString('base64')}, full), 400, 'param_error');
  assert.ok('Status' in body.errors, JSON.stringify(body));
  await httpError(api.Disputes.updateDisputeDocument(id, {Id: doc.Id, Status: 'VALIDATION_ASKED'}, full), 400, 'param_error');
  await httpError(api.Disputes.updateDisputeDocument(id, {Id: 'docu_test_' + '7'.repeat(19), Status: 'VALIDATION_ASKED'}, full),
    404, 'ressource_not_found');
});

test('updateDisputeDocument applies a Tag sent with the submission', async () => {
  const [id, doc] = await disputeWithDocument('INVOICE');
  await api.Disputes.createDisputeDocumentPage(id, doc.Id, {File: PNG.toString('base64')});
  const submitted = await api.Disputes.updateDisputeDocument(id, {Id: doc.Id, Status: 'VALIDATION_ASKED', Tag: 'sent'});
  assert.equal(submitted.Status, 'VALIDATION_ASKED');
  assert.equal(submitted.Tag, 'sent');
  assert.equal((await api.DisputeDocuments.get(doc.Id)).Tag, 'sent');
});

test('updateDisputeDocument with the whole fetched document (extra fields ignored)', async () => {
  const [id, doc] = await disputeWithDocument('USER_CORRESPONDANCE');
  await api.Disputes.createDisputeDocumentPageFromFile(id, doc.Id, path.join(FILES, 'delivery-slip.jpg'));
  const fetched = await api.DisputeDocuments.get(doc.Id);
  fetched.Status = 'VALIDATION_ASKED';
  fetched.Type = 'OTHER'; // ignored
  const submitted = await api.Disputes.updateDisputeDocument(id, fetched);
  assert.equal(submitted.Status, 'VALIDATION_ASKED');
  assert.equal(submitted.Type, 'USER_CORRESPONDANCE');
});

test("the operator's review shows through the SDK: VALIDATED, or REFUSED with its reason", async () => {
  const [id, doc] = await disputeWithDocument('INVOICE');
  const [, other] = await disputeWithDocument('INVOICE');
  for (const d of [doc, other]) {
    await api.Disputes.createDisputeDocumentPage(d.DisputeId, d.Id, {File: PNG.toString('base64')});
    await api.Disputes.updateDisputeDocument(d.DisputeId, {Id: d.Id, Status: 'VALIDATION_ASKED'});
  }
  const validated = await ops(`/disputes/${id}/documents/${doc.Id}/validate`, {});
  assert.equal(validated.status, 'validated');
  const ok = await api.DisputeDocuments.get(doc.Id);
  assert.equal(ok.Status, 'VALIDATED');
  assert.ok(Number.isInteger(ok.ProcessedDate));
  assert.equal(ok.RefusedReasonType, null);
  const listed = await api.DisputeDocuments.getAll({parameters: {Status: 'VALIDATED', per_page: 100}});
  assert.ok(listed.some((d) => d.Id === doc.Id));
  const refusedAnswer = await ops(`/disputes/${other.DisputeId}/documents/${other.Id}/refuse`,
    {reason_type: 'DOCUMENT_UNREADABLE', message: 'Too blurry'});
  assert.equal(refusedAnswer.status, 'refused');
  const refused = await api.DisputeDocuments.get(other.Id);
  assert.equal(refused.Status, 'REFUSED');
  assert.equal(refused.RefusedReasonType, 'DOCUMENT_UNREADABLE');
  assert.equal(refused.RefusedReasonMessage, 'Too blurry');
  assert.ok(Number.isInteger(refused.ProcessedDate));
  const byStatus = await api.Disputes.getDocumentsForDispute(other.DisputeId, {parameters: {Status: 'REFUSED'}});
  assert.deepEqual(byStatus.map((d) => d.Id), [other.Id]);
});

test('createDisputeDocumentConsult(doc): one {Url, ExpirationDate} per page; the Url serves the bytes without a token', async () => {
  const [id, doc] = await disputeWithDocument();
  await api.Disputes.createDisputeDocumentPage(id, doc.Id, {File: PNG.toString('base64')});
  await api.Disputes.createDisputeDocumentPage(id, doc.Id, {File: JPG.toString('base64')});
  const now = Math.floor(Date.now() / 1000);
  const res = await api.DisputeDocuments.createDisputeDocumentConsult(doc.Id, {resolveWithFullResponse: true});
  assert.equal(res.status, 200);
  assert.equal(res.body.length, 2);
  for (const item of res.body) {
    assert.deepEqual(Object.keys(item).sort(), ['ExpirationDate', 'Url']);
    assert.ok(Number.isInteger(item.ExpirationDate));
    assert.ok(Math.abs(item.ExpirationDate - (now + 600)) <= 30, `ExpirationDate ${item.ExpirationDate}, now ${now}`);
  }
  const models = await api.DisputeDocuments.createDisputeDocumentConsult(doc.Id);
  assert.ok(models.every((m) => m instanceof api.models.DisputeDocument)); // bug N5: wrapped in DisputeDocument
  for (const [i, [bytes, type]] of [[PNG, 'image/png'], [JPG, 'image/jpeg']].entries()) {
    const url = models[i].Url;
    assert.ok(url.startsWith(BASE + '/'), url);
    const page = await fetch(url); // plain HTTP, no token
    assert.equal(page.status, 200, url);
    assert.equal(page.headers.get('content-type'), type);
    assert.ok(Buffer.from(await page.arrayBuffer()).equals(bytes), `page ${i} bytes differ`);
  }
  // A tampered link is refused.
  const bad = await fetch(models[0].Url.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')));
  assert.ok(bad.status >= 400 && bad.status < 500, `tampered link: ${bad.status}`);
  // A document with no pages: []
  const [, empty] = await disputeWithDocument();
  assert.deepEqual(await api.DisputeDocuments.createDisputeDocumentConsult(empty.Id), []);
  await httpError(api.DisputeDocuments.createDisputeDocumentConsult('docu_test_' + '6'.repeat(19), {resolveWithFullResponse: true}),
    404, 'ressource_not_found');
});

test('createDisputeDocumentConsult of the demo upload serves the seeded file', async () => {
  for (const [docId, want] of Object.entries(DEMO_DOCS)) {
    const pages = await api.DisputeDocuments.createDisputeDocumentConsult(docId);
    assert.equal(pages.length, 1, docId);
    const res = await fetch(pages[0].Url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), want.contentType);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(fixture(want.file)), docId);
  }
});

test('Idempotency: Idempotency-Key on a create, Idempotency.get(key) returns the response; reuse is 409', async () => {
  const id = await openDispute();
  const key = crypto.randomUUID();
  const doc = await api.Disputes.createDisputeDocument(id, {Type: 'REFUND_PROOF', Tag: 'idem'}, {headers: {'Idempotency-Key': key}});
  assert.equal(doc.Status, 'CREATED');
  const stored = await api.Idempotency.get(key);
  assert.ok(stored instanceof api.models.IdempotencyResponse);
  for (const k of ['StatusCode', 'ContentLength', 'ContentType', 'Date', 'Resource']) assert.ok(k in stored, k);
  assert.equal(String(stored.StatusCode), '200');
  assert.match(String(stored.ContentType), /^application\/json/);
  const resource = typeof stored.Resource === 'string' ? JSON.parse(stored.Resource) : stored.Resource;
  assert.equal(resource.Id, doc.Id);
  assert.equal(resource.Type, 'REFUND_PROOF');
  // The same key again: 409, and nothing new was created.
  const body = await httpError(
    api.Disputes.createDisputeDocument(id, {Type: 'REFUND_PROOF'}, {headers: {'Idempotency-Key': key}, resolveWithFullResponse: true}),
    409, 'idempotent_creation_conflict');
  assert.equal(body.errors, null);
  assert.equal((await api.Disputes.getDocumentsForDispute(id)).length, 1);
  // A key on a page create works too (its stored response is the 204).
  const pageKey = crypto.randomUUID();
  await api.Disputes.createDisputeDocumentPage(id, doc.Id, {File: PNG.toString('base64')}, {headers: {'Idempotency-Key': pageKey}});
  const pageStored = await api.Idempotency.get(pageKey);
  assert.equal(String(pageStored.StatusCode), '204');
  // An unknown key is 404.
  await httpError(api.Idempotency.get(crypto.randomUUID(), {resolveWithFullResponse: true}), 404, 'ressource_not_found');
});

test('every error the SDK reported came with a response body (no transport error, bug N3)', () => {
  // Every reported error has a body: the SDK never hit a transport error (bug N3).
  for (const r of reported) assert.ok(r.body !== undefined, JSON.stringify(r));
});
