'use strict';
// The official omise Node client (1.1.0) against dispute-docs; run by tests/compat/run with
// `node --test`. The client has no port option and sends every request through
// http.globalAgent (it passes `agent: undefined` unless http_proxy is set), so an agent whose
// createConnection dials the server's port is installed before any request.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');

const BASE = process.env.COMPAT_BASE_URL.replace(/\/$/, '');
const PORT = Number(new URL(BASE).port);
const OPS_TOKEN = process.env.COMPAT_OPS_TOKEN;
const omiseFactory = require(path.join(process.env.COMPAT_NODE_MODULES, 'omise'));

const KEY = 'skey_test_4xs8breq3htbkj03d2x';
const LIVE_KEY = 'skey_5g5ih3pybo7v4wwrlv1';
const OTHER_KEY = 'skey_test_5otheracct0key0000';
const DEMO_OPEN = {
  'dspt_test_5g5ih3pybo7v4wwrbjw': 'docu_test_5g5iiejzhyhbfyj6kzs',
  'dspt_test_4zgf15h89w8t775kcm8': 'docu_test_53f7n2a4rzvii1p8tn7',
  'dspt_test_5xuy4w91xqz7d1w9u0t': 'docu_test_5xuy4w91xqz7d1w9u0t',
};
const VERSIONS = ['2019-05-29', '2017-11-02'];

const agent = new http.Agent({keepAlive: false});
agent.createConnection = (options) =>
  net.createConnection({...options, host: '127.0.0.1', port: PORT});
http.globalAgent = agent;

function omise(opts = {}) {
  return omiseFactory({secretKey: KEY, host: '127.0.0.1', scheme: 'http', ...opts});
}

function chargeId() {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  let s = '';
  for (const b of crypto.randomBytes(19)) s += alphabet[b % 36];
  return 'chrg_test_' + s;
}

// Plain HTTP (no client) for what the merchant client cannot do.
async function openDispute(amount) {
  const charge = chargeId();
  const res = await fetch(`${BASE}/charges/${charge}/disputes`, {
    method: 'POST',
    headers: {
      'Authorization': 'Basic ' + Buffer.from(KEY + ':').toString('base64'),
      'Content-Type': 'application/json',
    },
    body: JSON.stringify(amount === undefined ? {} : {amount}),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.object, 'dispute');
  assert.equal(body.status, 'open');
  assert.equal(body.charge, charge);
  return body;
}

async function ops(p, body) {
  const res = await fetch(`${BASE}/ops${p}`, {
    method: 'POST',
    headers: {'Authorization': 'Bearer ' + OPS_TOKEN, 'Content-Type': 'application/json'},
    body: JSON.stringify(body || {}),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text);
}

async function rejection(promise) {
  try {
    const value = await promise;
    assert.fail('expected an error, got ' + JSON.stringify(value).slice(0, 300));
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    return err;
  }
}

function assertDisputeShape(d, version) {
  assert.equal(d.object, 'dispute');
  assert.equal(d.livemode, false);
  assert.equal(d.location, '/disputes/' + d.id);
  assert.match(d.id, /^dspt_test_[0-9a-z]{19}$/);
  assert.ok(Number.isInteger(d.amount));
  assert.ok(['open', 'pending', 'won', 'lost'].includes(d.status), d.status);
  assert.equal(d.documents.object, 'list');
  assert.equal(d.documents.location, `/disputes/${d.id}/documents`);
  if (version === '2017-11-02') {
    assert.ok('created' in d && !('created_at' in d), Object.keys(d).join());
    assert.equal(d.currency, 'thb');
    assert.match(d.transaction, /^trxn_test_/);
    assert.ok(!('transactions' in d) && !('funding_amount' in d));
  } else {
    assert.ok('created_at' in d && !('created' in d), Object.keys(d).join());
    assert.equal(d.currency, 'THB');
    assert.equal(d.funding_currency, 'THB');
    assert.ok(Array.isArray(d.transactions) && d.transactions.length >= 1);
    assert.equal(d.transactions[0].key, 'dispute.started.debit');
    assert.equal(d.transactions[0].origin, d.id);
    assert.deepEqual(typeof d.metadata, 'object');
  }
  const stamp = version === '2017-11-02' ? d.created : d.created_at;
  assert.match(stamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
}

function assertList(list, location) {
  assert.equal(list.object, 'list');
  assert.equal(list.location, location);
  assert.ok(Array.isArray(list.data));
  assert.ok(Number.isInteger(list.total) && Number.isInteger(list.limit));
  assert.ok(Number.isInteger(list.offset));
  assert.match(list.from, /Z$/);
  assert.match(list.to, /Z$/);
}

for (const version of VERSIONS) {
  const client = omise({omiseVersion: version});

  test(`[${version}] disputes.retrieve returns a demo dispute`, async () => {
    const id = 'dspt_test_5g5ih3pybo7v4wwrbjw';
    const d = await client.disputes.retrieve(id);
    assert.equal(d.id, id);
    assert.equal(d.status, 'open');
    assertDisputeShape(d, version);
    assert.ok(d.documents.data.map((x) => x.id).includes(DEMO_OPEN[id]));
  });

  test(`[${version}] disputes.retrieve with a callback`, async () => {
    const id = 'dspt_test_4zgf15h89w8t775kcm8';
    const d = await new Promise((resolve, reject) => {
      client.disputes.retrieve(id, (err, resp) => (err ? reject(err) : resolve(resp)));
    });
    assert.equal(d.id, id);
    assertDisputeShape(d, version);
  });

  test(`[${version}] disputes.retrieve of an unknown dispute rejects with not_found`, async () => {
    const err = await rejection(client.disputes.retrieve('dspt_test_' + '0'.repeat(19)));
    assert.equal(err.object, 'error');
    assert.equal(err.code, 'not_found');
    assert.match(err.location, /^https:\/\/www\.omise\.co\/api-errors#not-found$/);
    assert.ok(err.message.includes('dspt_test_' + '0'.repeat(19)), err.message);
  });

  test(`[${version}] disputes.list returns the first page with defaults`, async () => {
    const list = await client.disputes.list();
    assertList(list, '/disputes');
    assert.equal(list.offset, 0);
    assert.equal(list.limit, 20);
    assert.equal(list.data.length, Math.min(20, list.total));
    assert.ok(list.total >= 12);
    for (const d of list.data) assertDisputeShape(d, version);
  });

  test(`[${version}] disputes.list pages through every dispute with limit and offset`, async () => {
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push((await openDispute(2000 + i)).id);
    const seen = [];
    let total = null;
    for (let offset = 0; ; offset += 100) {
      const page = await client.disputes.list({limit: 100, offset});
      assertList(page, '/disputes');
      assert.equal(page.limit, 100);
      assert.equal(page.offset, offset);
      total = page.total;
      seen.push(...page.data.map((d) => d.id));
      if (page.data.length < 100) break;
      assert.ok(offset < 10000, 'runaway paging');
    }
    assert.equal(seen.length, total);
    assert.equal(new Set(seen).size, seen.length, 'an id was listed twice');
    for (const id of [...mine, ...Object.keys(DEMO_OPEN)]) assert.ok(seen.includes(id), id);
    const positions = mine.map((id) => seen.indexOf(id));
    assert.deepEqual(positions, [...positions].sort((a, b) => a - b));
  });

  test(`[${version}] disputes.list honours order and limit`, async () => {
    const a = (await openDispute()).id;
    const b = (await openDispute()).id;
    const page = await client.disputes.list({limit: 2, order: 'reverse_chronological'});
    assert.equal(page.order, 'reverse_chronological');
    assert.deepEqual(page.data.map((d) => d.id), [b, a]);
    const chrono = await client.disputes.list({limit: 2, order: 'chronological'});
    assert.equal(chrono.order, 'chronological');
    assert.ok(!chrono.data.map((d) => d.id).includes(b));
  });

  test(`[${version}] disputes.list rejects a bad limit with bad_request`, async () => {
    const err = await rejection(client.disputes.list({limit: 1000}));
    assert.equal(err.code, 'bad_request');
  });

  test(`[${version}] disputes.listOpen returns only open disputes`, async () => {
    const list = await client.disputes.listOpen();
    assertList(list, '/disputes/open');
    assert.equal(list.data.length, Math.min(20, list.total));
    assert.ok(list.total >= 3);
    for (const d of list.data) {
      assert.equal(d.status, 'open');
      assert.equal(d.closed_at, null);
      assertDisputeShape(d, version);
    }
    await openDispute();
    assert.equal((await client.disputes.listOpen()).total, list.total + 1);
  });

  test(`[${version}] disputes.listPending returns only pending disputes`, async () => {
    const d = await openDispute();
    const openBefore = (await client.disputes.listOpen()).total;
    const before = await client.disputes.listPending();
    assertList(before, '/disputes/pending');
    await client.disputes.update(d.id, {message: 'waiting for the bank'});
    const list = await client.disputes.listPending();
    assertList(list, '/disputes/pending');
    assert.equal(list.total, before.total + 1);
    assert.equal((await client.disputes.listOpen()).total, openBefore - 1);
    assert.equal(list.data.length, Math.min(20, list.total));
    for (const x of list.data) {
      assert.equal(x.status, 'pending');
      assertDisputeShape(x, version);
    }
  });

  test(`[${version}] disputes.listClosed returns only won and lost disputes`, async () => {
    const won = await openDispute();
    await client.disputes.update(won.id, {message: 'contesting'});
    const before = await client.disputes.listClosed();
    await ops(`/disputes/${won.id}/resolve`, {outcome: 'won'});
    const list = await client.disputes.listClosed();
    assertList(list, '/disputes/closed');
    assert.equal(list.total, before.total + 1);
    assert.equal(list.data.length, Math.min(20, list.total));
    for (const x of list.data) {
      assert.ok(['won', 'lost'].includes(x.status), x.status);
      assert.match(x.closed_at, /Z$/);
      assertDisputeShape(x, version);
    }
    const after = await client.disputes.retrieve(won.id);
    assert.equal(after.status, 'won');
    assert.match(after.closed_at, /Z$/);
  });

  test(`[${version}] disputes.update sets message, metadata and pending`, async () => {
    const {id} = await openDispute(31337);
    const metadata = {order: 'B-42', nested: {carrier: 'Thai Post', parcels: 2}};
    const d = await client.disputes.update(id, {message: 'Tracking number EX123', metadata});
    assert.equal(d.id, id);
    assert.equal(d.status, 'pending');
    assert.equal(d.message, 'Tracking number EX123');
    assert.equal(d.amount, 31337);
    assert.equal(d.closed_at, null);
    assertDisputeShape(d, version);
    if (version !== '2017-11-02' || 'metadata' in d) assert.deepEqual(d.metadata, metadata);
    const again = await client.disputes.retrieve(id);
    assert.equal(again.status, 'pending');
    assert.equal(again.message, 'Tracking number EX123');
  });

  test(`[${version}] disputes.update of a dispute that is not open rejects`, async () => {
    const {id} = await openDispute();
    await client.disputes.update(id, {message: 'first'});
    const err = await rejection(client.disputes.update(id, {message: 'second'}));
    assert.equal(err.object, 'error');
    assert.equal(err.code, 'dispute_not_open');
    assert.equal((await client.disputes.retrieve(id)).message, 'first');
  });

  test(`[${version}] disputes.update without a message rejects with bad_request`, async () => {
    const {id} = await openDispute();
    const err = await rejection(client.disputes.update(id, {metadata: {a: 1}}));
    assert.equal(err.code, 'bad_request');
    assert.equal((await client.disputes.retrieve(id)).status, 'open');
  });
}

test('without omiseVersion the 2019-05-29 shape is used', async () => {
  const d = await omise().disputes.retrieve('dspt_test_5xuy4w91xqz7d1w9u0t');
  assert.equal(d.id, 'dspt_test_5xuy4w91xqz7d1w9u0t');
  assertDisputeShape(d, '2019-05-29');
});

test('an unknown omiseVersion rejects with bad_request', async () => {
  const err = await rejection(omise({omiseVersion: 'not-a-version'}).disputes.list());
  assert.equal(err.code, 'bad_request');
});

test('another account sees none of the demo disputes', async () => {
  const other = omise({secretKey: OTHER_KEY});
  for (const id of Object.keys(DEMO_OPEN)) {
    const err = await rejection(other.disputes.retrieve(id));
    assert.equal(err.code, 'not_found');
  }
  const ids = (await other.disputes.list({limit: 100})).data.map((d) => d.id);
  for (const id of Object.keys(DEMO_OPEN)) assert.ok(!ids.includes(id));
  const err = await rejection(other.disputes.update('dspt_test_5g5ih3pybo7v4wwrbjw', {message: 'x'}));
  assert.equal(err.code, 'not_found');
});

test('a live key lists only live disputes', async () => {
  const live = omise({secretKey: LIVE_KEY});
  const list = await live.disputes.list({limit: 100});
  for (const d of list.data) {
    assert.equal(d.livemode, true);
    assert.match(d.id, /^dspt_[0-9a-z]{19}$/);
  }
  const err = await rejection(live.disputes.retrieve('dspt_test_5g5ih3pybo7v4wwrbjw'));
  assert.equal(err.code, 'not_found');
});

test('unknown and public keys reject with authentication_failure', async () => {
  for (const key of ['skey_test_nosuchkey00000000000', 'pkey_test_4xs8breq3htbkj03d2x']) {
    const err = await rejection(omise({secretKey: key}).disputes.list());
    assert.equal(err.code, 'authentication_failure');
  }
});
