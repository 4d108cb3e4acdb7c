'use strict';
// The official Mangopay Node SDK (mangopay4-nodejs-sdk 1.68.0, unmodified) against the hooks,
// events and notifications of dispute-docs' Mangopay dialect: api.Hooks.create / get / update /
// getAll and api.Events.getAll, and a receiver (a node `http` server on 127.0.0.1:0) that the
// server's delivery worker notifies. Run by tests/compat/run with `node --test` after
// disputes.test.js, on the same server, once on Postgres and once on the embedded default; each
// of those servers is freshly seeded and started with WEBHOOK_ALLOW_CIDRS=127.0.0.0/8 (loopback
// receivers are refused otherwise) and WEBHOOK_POLL_MS=100.
//
// Hooks cannot be deleted (Mangopay has no DELETE), so this file expects a server on which the
// demo ClientId has no hook yet: the first test checks that. What the SDK puts on the wire is
// read with an interceptor on the axios module the SDK itself uses (it calls the global axios).
// Every wait is for a condition with a deadline; no sleep stands in for synchronisation.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const {createRequire} = require('node:module');
const path = require('node:path');

const BASE = process.env.COMPAT_BASE_URL.replace(/\/$/, '');
const OPS_TOKEN = process.env.COMPAT_OPS_TOKEN;
const SDK_DIR = path.join(process.env.COMPAT_MANGOPAY_NODE_MODULES, 'mangopay4-nodejs-sdk');
const Mangopay = require(SDK_DIR);
const SDK_VERSION = require(path.join(SDK_DIR, 'package.json')).version;
// The very axios module instance the SDK requires (through its package exports).
const axios = createRequire(path.join(SDK_DIR, 'package.json'))('axios');

const CLIENT_ID = 'dispute-docs-demo';
const API_KEY = 'demo_api_key_5g5ih3pybo7v4wwrbjw';
const ACCOUNT = 'acct_5demomerchant000000';
const PREFIX = `/v2.01/${CLIENT_ID}`;

const EVENT_TYPE = 'DISPUTE_DOCUMENT_CREATED';
const HOOK_KEYS = ['CreationDate', 'EventType', 'Id', 'Status', 'Tag', 'Url', 'Validity'];
const EVENT_KEYS = ['Date', 'EventType', 'ResourceId'];
const ERROR_KEYS = ['Message', 'Type', 'Id', 'Date', 'errors'];
const DAY = 24 * 3600;

const reported = [];
const api = new Mangopay({
  clientId: CLIENT_ID,
  clientApiKey: API_KEY,
  baseUrl: BASE,
  errorHandler: (message, body) => reported.push({message, body}),
});

// What the SDK sends: method, path, query parameters and a copy of the JSON body (the SDK later
// copies the response onto the object it sent).
const wire = [];
axios.interceptors.request.use((config) => {
  wire.push({
    method: String(config.method).toUpperCase(),
    url: config.url,
    params: config.params === undefined ? undefined : JSON.parse(JSON.stringify(config.params)),
    data: config.data === undefined || typeof config.data === 'string'
      ? config.data : JSON.parse(JSON.stringify(config.data)),
  });
  return config;
});
function lastSent(method, url) {
  const hit = wire.filter((w) => w.method === method && w.url === url).pop();
  assert.ok(hit, `the SDK sent no ${method} ${url}; it sent ${JSON.stringify(wire.slice(-3))}`);
  return hit;
}

// ---------------------------------------------------------------------------------------------
// the receiver: records every request (method, URL as sent, headers, body length); answers 200

const received = [];
const receiver = http.createServer((req, res) => {
  let length = 0;
  req.on('data', (chunk) => { length += chunk.length; });
  req.on('end', () => {
    received.push({method: req.method, url: req.url, headers: req.headers, bodyLength: length, at: Date.now()});
    res.writeHead(200, {'Content-Type': 'text/plain'});
    res.end('OK');
  });
});
let RECEIVER = '';

test.before(async () => {
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  RECEIVER = `http://127.0.0.1:${receiver.address().port}`;
});
test.after(async () => {
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

/** The notifications received so far of `eventType` naming `resourceId`, parsed. */
function notifications(eventType, resourceId) {
  return received
    .map((r) => ({...r, parsed: new URL(r.url, RECEIVER)}))
    .filter((r) => r.parsed.searchParams.get('EventType') === eventType &&
      r.parsed.searchParams.get('RessourceId') === resourceId);
}

/** Resolves once `check()` is truthy, polling every 20 ms; fails after `ms`. */
async function until(what, check, ms = 10000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) {
      assert.fail(`${what}: not within ${ms} ms; the receiver got ${JSON.stringify(received.map((r) => `${r.method} ${r.url}`))}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// ---------------------------------------------------------------------------------------------
// helpers (as in disputes.test.js)

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

/** The rejection of `promise`, raced against a timer (a transport error never settles, N3). */
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

/** The full response of a call made with resolveWithFullResponse, whether it resolved or
 * rejected (raced against a timer, N3). */
async function answer(promise, ms = 20000) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the SDK promise did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } catch (err) {
    if (err && typeof err === 'object' && 'status' in err && 'headers' in err) return err;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** The error body of a call made with resolveWithFullResponse that must fail with `status`. */
async function httpError(promise, status, type) {
  const res = await rejection(promise);
  assert.ok(res && typeof res === 'object' && 'status' in res, 'not a full response: ' + describe(res));
  assert.equal(res.status, status, JSON.stringify(res.body));
  const body = res.body;
  for (const k of ERROR_KEYS) assert.ok(k in body, `error without ${k}: ${JSON.stringify(body)}`);
  assert.equal(body.Type, type, JSON.stringify(body));
  assert.equal(typeof body.Message, 'string');
  assert.ok(Number.isInteger(body.Date), JSON.stringify(body));
  return body;
}

const full = {resolveWithFullResponse: true};
const now = () => Math.floor(Date.now() / 1000);

function chargeId() {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  let s = '';
  for (const b of crypto.randomBytes(19)) s += alphabet[b % 36];
  return 'chrg_test_' + s;
}

/** A fresh open dispute of the demo account, opened as the bank would (operator API). */
async function openDispute() {
  const res = await fetch(`${BASE}/ops/disputes`, {
    method: 'POST',
    headers: {'Authorization': 'Bearer ' + OPS_TOKEN, 'Content-Type': 'application/json'},
    body: JSON.stringify({account: ACCOUNT, mode: 'test', charge: chargeId(), amount: 50000, currency: 'THB'}),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `POST /ops/disputes: ${text}`);
  const body = JSON.parse(text);
  assert.equal(body.status, 'open', text);
  return body.id;
}

function assertHook(h, want) {
  assert.deepEqual(Object.keys(h).filter((k) => k !== 'data').sort(), HOOK_KEYS, JSON.stringify(h));
  assert.match(h.Id, /^whep_test_[0-9a-z]{19}$/);
  assert.ok(Number.isInteger(h.CreationDate), `CreationDate ${h.CreationDate}`);
  for (const [k, v] of Object.entries(want)) assert.equal(h[k], v, `${k} of ${JSON.stringify(h)}`);
}

function assertEvent(e) {
  assert.deepEqual(Object.keys(e).sort(), EVENT_KEYS, JSON.stringify(e));
  assert.ok(Number.isInteger(e.Date), JSON.stringify(e));
  assert.equal(typeof e.ResourceId, 'string');
}

// Shared by the tests below, which run in order.
const state = {
  started: 0, // Unix seconds before the hook was made
  hook: null, // the hook as created
  url: '', // its Url after the update
  dispute: '', // the dispute the documents are made on
  silent: null, // a document made while the hook was DISABLED
  doc: null, // the document whose notification is awaited
  notification: null,
};

// ---------------------------------------------------------------------------------------------
// hooks

test('the SDK under test is mangopay4-nodejs-sdk 1.68.0, and the receiver listens', () => {
  assert.equal(SDK_VERSION, '1.68.0');
  assert.match(RECEIVER, /^http:\/\/127\.0\.0\.1:\d+$/);
});

test('a freshly seeded server: Hooks.getAll() is [] (X-Number-Of-Items 0)', async () => {
  const res = await api.Hooks.getAll({...full});
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, [], 'this file needs a server on which the demo ClientId has no hook yet');
  assert.equal(res.headers['x-number-of-items'], '0');
  assert.equal(res.headers['x-number-of-pages'], '0');
  assert.equal(lastSent('GET', `${PREFIX}/hooks`).params, undefined);
});

test('Hooks.create({EventType, Url, Tag}) answers an ENABLED, VALID Hook', async () => {
  state.started = now();
  const sent = {EventType: EVENT_TYPE, Url: `${RECEIVER}/mangopay/first`, Tag: 'compat node'};
  const hook = await api.Hooks.create(sent);
  assert.ok(hook instanceof api.models.Hook, 'not a Hook model');
  assertHook(hook, {Url: `${RECEIVER}/mangopay/first`, Status: 'ENABLED', Validity: 'VALID',
    EventType: EVENT_TYPE, Tag: 'compat node'});
  assert.ok(hook.CreationDate >= state.started - 1 && hook.CreationDate <= now() + 1, `CreationDate ${hook.CreationDate}`);
  // On the wire: POST /v2.01/{ClientId}/hooks with exactly the three fields.
  assert.deepEqual(lastSent('POST', `${PREFIX}/hooks`).data,
    {EventType: EVENT_TYPE, Url: `${RECEIVER}/mangopay/first`, Tag: 'compat node'});
  // The SDK copies the answer (and a `data` property) onto the object it was given.
  assert.equal(sent.Id, hook.Id);
  assert.equal(sent.data.Id, hook.Id);
  state.hook = {...hook};
});

test('Hooks.get(id) answers the same Hook; an unknown id is 404 ressource_not_found', async () => {
  const got = await api.Hooks.get(state.hook.Id);
  assert.ok(got instanceof api.models.Hook);
  assertHook(got, state.hook);
  assert.equal(lastSent('GET', `${PREFIX}/hooks/${state.hook.Id}`).data, undefined);
  for (const id of ['whep_test_' + '4'.repeat(19), 'not-a-hook-id']) {
    const body = await httpError(api.Hooks.get(id, full), 404, 'ressource_not_found');
    assert.ok(body.errors && typeof body.errors === 'object', JSON.stringify(body));
  }
});

test('Hooks.getAll() lists it as Hook models; page/per_page through {parameters}', async () => {
  const all = await api.Hooks.getAll();
  assert.equal(all.length, 1, JSON.stringify(all));
  assert.ok(all[0] instanceof api.models.Hook);
  assertHook(all[0], state.hook);

  const res = await api.Hooks.getAll({parameters: {page: 1, per_page: 1}, ...full});
  assert.deepEqual(lastSent('GET', `${PREFIX}/hooks`).params, {page: 1, per_page: 1});
  assert.equal(res.status, 200);
  assert.equal(res.body.length, 1);
  assert.equal(res.headers['x-number-of-items'], '1');
  assert.equal(res.headers['x-number-of-pages'], '1');
  assert.match(res.headers.link, /rel="first"/);
  const second = await api.Hooks.getAll({parameters: {page: 2, per_page: 1}, ...full});
  assert.deepEqual(second.body, []);
});

test('Hooks.update(fetchedHook) PUTs the whole object: Url and Tag change, EventType / Validity sent back are ignored', async () => {
  const fetched = await api.Hooks.get(state.hook.Id);
  state.url = `${RECEIVER}/mangopay/hooks?suite=node-sdk&n=1`;
  fetched.Url = state.url;
  fetched.Tag = 'compat node, updated';
  fetched.EventType = 'DISPUTE_CLOSED'; // read-only: ignored
  const updated = await api.Hooks.update(fetched);
  assert.ok(updated instanceof api.models.Hook);
  assertHook(updated, {...state.hook, Url: state.url, Tag: 'compat node, updated'});
  // The SDK sends every field of the model but the read-only Id and CreationDate (the Id is in
  // the path).
  assert.deepEqual(lastSent('PUT', `${PREFIX}/hooks/${state.hook.Id}`).data, {
    Url: state.url, Status: 'ENABLED', Validity: 'VALID', EventType: 'DISPUTE_CLOSED',
    Tag: 'compat node, updated',
  });
  assertHook(await api.Hooks.get(state.hook.Id), {...state.hook, Url: state.url, Tag: 'compat node, updated'});

  // A plain object is sent as it is, Id and all.
  const tagged = await api.Hooks.update({Id: state.hook.Id, Tag: 'compat node'});
  assert.deepEqual(lastSent('PUT', `${PREFIX}/hooks/${state.hook.Id}`).data, {Id: state.hook.Id, Tag: 'compat node'});
  assertHook(tagged, {...state.hook, Url: state.url, Tag: 'compat node'});
});

test('Hooks.update(fetchedHook) with Status DISABLED, then ENABLED; getAll shows the disabled hook', async () => {
  const fetched = await api.Hooks.get(state.hook.Id);
  fetched.Status = 'DISABLED';
  const disabled = await api.Hooks.update(fetched);
  assertHook(disabled, {Id: state.hook.Id, Status: 'DISABLED', Validity: 'VALID', Url: state.url, EventType: EVENT_TYPE});
  assert.equal(lastSent('PUT', `${PREFIX}/hooks/${state.hook.Id}`).data.Status, 'DISABLED');
  const listed = await api.Hooks.getAll();
  assert.deepEqual(listed.map((h) => [h.Id, h.Status]), [[state.hook.Id, 'DISABLED']]);

  // While it is disabled, a document is made: this one must never be notified (checked below).
  state.dispute = await openDispute();
  state.silent = await api.Disputes.createDisputeDocument(state.dispute, {Type: 'INVOICE', Tag: 'while disabled'});

  const again = await api.Hooks.get(state.hook.Id);
  assert.equal(again.Status, 'DISABLED');
  again.Status = 'ENABLED';
  const enabled = await api.Hooks.update(again);
  assertHook(enabled, {...state.hook, Url: state.url, Tag: 'compat node', Status: 'ENABLED', Validity: 'VALID'});
  assertHook(await api.Hooks.get(state.hook.Id), {Status: 'ENABLED', Validity: 'VALID'});
});

test('Hooks.update refuses a bad Status or Url (400 param_error), leaving the hook as it was', async () => {
  for (const [change, field] of [[{Status: 'PAUSED'}, 'Status'], [{Url: 'ftp://127.0.0.1/hook'}, 'Url'],
    [{Url: 'not a url'}, 'Url']]) {
    const body = await httpError(api.Hooks.update({Id: state.hook.Id, ...change}, full), 400, 'param_error');
    assert.ok(field in body.errors, JSON.stringify(body));
  }
  await httpError(api.Hooks.update({Id: 'whep_test_' + '4'.repeat(19), Tag: 'x'}, full), 404, 'ressource_not_found');
  assertHook(await api.Hooks.get(state.hook.Id), {Url: state.url, Status: 'ENABLED', Validity: 'VALID', Tag: 'compat node'});
});

test('a second hook for the same EventType is 400 param_error (errors.EventType); still one hook', async () => {
  const body = await httpError(api.Hooks.create(
    {EventType: EVENT_TYPE, Url: `${RECEIVER}/mangopay/second`, Tag: 'second'}, full), 400, 'param_error');
  assert.deepEqual(body.errors, {EventType: 'A hook has already been registered for this EventType'});
  // An unknown EventType and a missing Url are refused too.
  const unknown = await httpError(api.Hooks.create({EventType: 'PAYIN_NORMAL_CREATED', Url: `${RECEIVER}/x`}, full), 400, 'param_error');
  assert.ok('EventType' in unknown.errors, JSON.stringify(unknown));
  const noUrl = await httpError(api.Hooks.create({EventType: 'DISPUTE_SUBMITTED'}, full), 400, 'param_error');
  assert.ok('Url' in noUrl.errors, JSON.stringify(noUrl));
  const all = await api.Hooks.getAll();
  assert.deepEqual(all.map((h) => h.Id), [state.hook.Id]);
});

test('another EventType may use the same Url: one hook per EventType, not one per Url', async () => {
  // Mangopay integrations commonly point every hook at one URL. DISPUTE_CLOSED does not happen
  // in this file, so the receiver gets nothing from this hook.
  const res = await answer(api.Hooks.create({EventType: 'DISPUTE_CLOSED', Url: state.url, Tag: 'same url'}, full));
  assert.equal(res.status, 200, `POST ${PREFIX}/hooks ${JSON.stringify(lastSent('POST', `${PREFIX}/hooks`).data)}: ${describe(res)}`);
  assertHook(res.body, {EventType: 'DISPUTE_CLOSED', Url: state.url, Status: 'ENABLED', Validity: 'VALID', Tag: 'same url'});
  const all = await api.Hooks.getAll({parameters: {per_page: 100}});
  assert.deepEqual(all.map((h) => h.EventType).sort(), ['DISPUTE_CLOSED', EVENT_TYPE]);
});

// ---------------------------------------------------------------------------------------------
// the notification

test('a document made through the SDK is notified: GET <Url>&EventType=DISPUTE_DOCUMENT_CREATED&RessourceId=<doc>&Date=<unix s>', async () => {
  const before = now();
  const doc = await api.Disputes.createDisputeDocument(state.dispute, {Type: 'DELIVERY_PROOF', Tag: 'notified'});
  const after = now();
  assert.match(doc.Id, /^docu_test_[0-9a-z]{19}$/);
  assert.equal(doc.Status, 'CREATED');
  state.doc = doc;

  const [hit] = await until(`a notification for ${doc.Id}`, () => {
    const got = notifications(EVENT_TYPE, doc.Id);
    return got.length ? got : null;
  });
  assert.equal(hit.method, 'GET');
  assert.equal(hit.bodyLength, 0);
  const date = hit.parsed.searchParams.get('Date');
  assert.match(date, /^\d+$/);
  assert.ok(Number(date) >= before && Number(date) <= after, `Date ${date} not in [${before}, ${after}]`);
  // The hook's own path and query, kept, then the three parameters in this order.
  assert.equal(hit.url,
    `/mangopay/hooks?suite=node-sdk&n=1&EventType=${EVENT_TYPE}&RessourceId=${doc.Id}&Date=${date}`);
  state.notification = {date: Number(date)};
});

test('nothing went to the Url the hook had before, and nothing for the document made while it was DISABLED', async () => {
  // The awaited notification came after the disabled-time document was written; had that one
  // been queued it would have gone out in the same pass or earlier.
  assert.deepEqual(received.filter((r) => r.url.startsWith('/mangopay/first')), []);
  assert.deepEqual(notifications(EVENT_TYPE, state.silent.Id), []);
  for (const r of received) {
    assert.equal(r.method, 'GET', r.url);
    assert.ok(r.url.startsWith('/mangopay/hooks?suite=node-sdk&n=1&EventType='), r.url);
  }
});

// ---------------------------------------------------------------------------------------------
// events

test('Events.getAll({parameters: {EventType}}) finds the document event, with the notified Date', async () => {
  const res = await api.Events.getAll({parameters: {EventType: EVENT_TYPE, Sort: 'CreationDate:DESC', per_page: 100}, ...full});
  assert.deepEqual(lastSent('GET', `${PREFIX}/events`).params, {EventType: EVENT_TYPE, Sort: 'CreationDate:DESC', per_page: 100});
  assert.equal(res.status, 200);
  assert.ok(Array.isArray(res.body));
  assert.ok(Number(res.headers['x-number-of-items']) >= 2, res.headers['x-number-of-items']);
  for (const e of res.body) {
    assertEvent(e);
    assert.equal(e.EventType, EVENT_TYPE);
  }
  const mine = res.body.filter((e) => e.ResourceId === state.doc.Id);
  assert.deepEqual(mine, [{ResourceId: state.doc.Id, EventType: EVENT_TYPE, Date: state.notification.date}]);
  // The document made while the hook was disabled has its event all the same, and it is older.
  const silent = res.body.findIndex((e) => e.ResourceId === state.silent.Id);
  assert.ok(silent > res.body.indexOf(mine[0]), `events: ${JSON.stringify(res.body.slice(0, 5))}`);
  // Newest first.
  for (let i = 1; i < res.body.length; i++) assert.ok(res.body[i - 1].Date >= res.body[i].Date);
});

test('Events.getAll without a filter: every type, the dispute as DISPUTE_CREATED and DISPUTE_ACTION_REQUIRED, the documents as DISPUTE_DOCUMENT_CREATED', async () => {
  const events = await api.Events.getAll({parameters: {per_page: 100, AfterDate: state.started - 1}});
  assert.deepEqual(lastSent('GET', `${PREFIX}/events`).params, {per_page: 100, AfterDate: state.started - 1});
  events.forEach(assertEvent);
  assert.ok(events.length < 100, 'more events since the test began than one page holds');
  const mine = events.filter((e) => [state.dispute, state.silent.Id, state.doc.Id].includes(e.ResourceId));
  assert.deepEqual(mine.map((e) => [e.EventType, e.ResourceId]), [
    [EVENT_TYPE, state.doc.Id],
    [EVENT_TYPE, state.silent.Id],
    // Opened as the bank would: created, and awaiting the merchant (same second, written in
    // this order, listed newest first).
    ['DISPUTE_ACTION_REQUIRED', state.dispute],
    ['DISPUTE_CREATED', state.dispute],
  ]);
  // A comma-joined EventType asks for both types.
  const both = await api.Events.getAll({parameters: {EventType: `DISPUTE_CREATED,${EVENT_TYPE}`, per_page: 100, AfterDate: state.started - 1}});
  assert.ok(both.every((e) => ['DISPUTE_CREATED', EVENT_TYPE].includes(e.EventType)), JSON.stringify(both));
  assert.deepEqual(both.filter((e) => [state.dispute, state.silent.Id, state.doc.Id].includes(e.ResourceId)),
    mine.filter((e) => e.EventType !== 'DISPUTE_ACTION_REQUIRED'));
});

test('Events.getAll with BeforeDate/AfterDate: a window around the Date holds the event, windows beside it do not', async () => {
  const date = state.notification.date;
  const around = await api.Events.getAll({parameters: {EventType: EVENT_TYPE, AfterDate: date - 1, BeforeDate: date + 1, per_page: 100}});
  assert.ok(around.some((e) => e.ResourceId === state.doc.Id), JSON.stringify(around));
  around.forEach((e) => assert.equal(e.Date, date, JSON.stringify(e)));
  const later = await api.Events.getAll({parameters: {EventType: EVENT_TYPE, AfterDate: date + 1, per_page: 100}});
  assert.ok(!later.some((e) => e.ResourceId === state.doc.Id), JSON.stringify(later));
  const earlier = await api.Events.getAll({parameters: {EventType: EVENT_TYPE, BeforeDate: date - 1, per_page: 100}});
  assert.ok(!earlier.some((e) => e.ResourceId === state.doc.Id));
  assert.ok(earlier.every((e) => e.Date < date - 1), JSON.stringify(earlier.slice(0, 3)));
});

test('Events.getAll(callback, {EventType, …}) takes flat filters as the second argument; as the first they are dropped', async () => {
  const flat = await api.Events.getAll(undefined, {EventType: EVENT_TYPE, AfterDate: state.notification.date - 1, per_page: 100});
  assert.deepEqual(lastSent('GET', `${PREFIX}/events`).params,
    {EventType: EVENT_TYPE, AfterDate: state.notification.date - 1, per_page: 100});
  assert.ok(flat.some((e) => e.ResourceId === state.doc.Id));
  assert.ok(flat.every((e) => e.EventType === EVENT_TYPE));
  // As the first argument (the "callback"), the filters never reach the query string (as N1).
  await api.Events.getAll({EventType: EVENT_TYPE, per_page: 100});
  assert.equal(lastSent('GET', `${PREFIX}/events`).params, undefined);
});

test('Events.getAll refuses dates over 45 days back and an unknown EventType (400 param_error)', async () => {
  const old = now() - 46 * DAY;
  for (const [parameters, field] of [[{AfterDate: old}, 'AfterDate'], [{BeforeDate: old}, 'BeforeDate'],
    [{EventType: 'PAYIN_NORMAL_CREATED'}, 'EventType']]) {
    const body = await httpError(api.Events.getAll({parameters, ...full}), 400, 'param_error');
    assert.ok(field in body.errors, JSON.stringify(body));
  }
  // 44 days back is within the window.
  const recent = await api.Events.getAll({parameters: {AfterDate: now() - 44 * DAY, EventType: EVENT_TYPE, per_page: 1}, ...full});
  assert.equal(recent.status, 200);
});

test('the document was notified once; every error the SDK reported had a body', () => {
  assert.equal(notifications(EVENT_TYPE, state.doc.Id).length, 1);
  for (const r of reported) assert.ok(r.body !== undefined, JSON.stringify(r));
});
