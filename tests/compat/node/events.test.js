'use strict';
// The official omise Node client (1.1.0): events.list() and events.retrieve(id) against the
// seeded dispute-docs server; run by tests/compat/run with `node --test`, after the dispute
// tests on the same server. Every dispute has a `dispute.create` event (the seeded ones from the
// seed, the ones the Python and Node dispute tests opened from their opening). The client sends
// list parameters in the query string of a GET; see disputes.test.js for the agent set-up.

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');

const BASE = process.env.COMPAT_BASE_URL.replace(/\/$/, '');
const PORT = Number(new URL(BASE).port);
const omiseFactory = require(path.join(process.env.COMPAT_NODE_MODULES, 'omise'));

const KEY = 'skey_test_4xs8breq3htbkj03d2x';
const LIVE_KEY = 'skey_5g5ih3pybo7v4wwrlv1';
const OTHER_KEY = 'skey_test_5otheracct0key0000';
const DEMO_OPEN = [
  'dspt_test_5g5ih3pybo7v4wwrbjw',
  'dspt_test_4zgf15h89w8t775kcm8',
  'dspt_test_5xuy4w91xqz7d1w9u0t',
];
const VERSIONS = ['2019-05-29', '2017-11-02'];
const KEYS = ['dispute.create', 'dispute.update', 'dispute.close'];
// The demo account's test-mode events in fixtures/demo.json: 12 disputes opened, 11 updates, 4
// closes. Later tests only add to them.
const SEEDED_EVENTS = 27;

const agent = new http.Agent({keepAlive: false});
agent.createConnection = (options) =>
  net.createConnection({...options, host: '127.0.0.1', port: PORT});
http.globalAgent = agent;

function omise(opts = {}) {
  return omiseFactory({secretKey: KEY, host: '127.0.0.1', scheme: 'http', ...opts});
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

function assertEvent(e, live = false) {
  assert.equal(e.object, 'event');
  assert.match(e.id, live ? /^evnt_[0-9a-z]{19}$/ : /^evnt_test_[0-9a-z]{19}$/);
  assert.equal(e.livemode, live);
  assert.equal(e.location, '/events/' + e.id);
  assert.ok(KEYS.includes(e.key), e.key);
  assert.ok(Array.isArray(e.webhook_deliveries), e.id);
  assert.match(e.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(e.data.object, 'dispute');
  assert.match(e.data.id, live ? /^dspt_[0-9a-z]{19}$/ : /^dspt_test_[0-9a-z]{19}$/);
  assert.equal(e.data.location, '/disputes/' + e.data.id);
  assert.equal(e.data.livemode, live);
}

async function everything(resource) {
  const all = [];
  for (let offset = 0; ; offset += 100) {
    const page = await resource.list({limit: 100, offset});
    assert.equal(page.offset, offset);
    assert.equal(page.limit, 100);
    all.push(...page.data);
    if (page.data.length < 100) {
      assert.equal(all.length, page.total);
      return all;
    }
  }
}

for (const version of VERSIONS) {
  const client = omise({omiseVersion: version});

  test(`[${version}] events.list returns the first page with defaults`, async () => {
    const list = await client.events.list();
    assert.equal(list.object, 'list');
    assert.equal(list.location, '/events');
    assert.equal(list.offset, 0);
    assert.equal(list.limit, 20);
    assert.equal(list.order, 'chronological');
    assert.ok(list.total >= SEEDED_EVENTS, String(list.total));
    assert.equal(list.data.length, 20);
    for (const e of list.data) assertEvent(e);
    const stamps = list.data.map((e) => e.created_at);
    assert.deepEqual(stamps, [...stamps].sort());
  });

  test(`[${version}] events.list pages through every event; every dispute has its create event`, async () => {
    const events = await everything(client.events);
    const ids = events.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const e of events) assertEvent(e);
    const creates = new Map();
    for (const e of events.filter((e) => e.key === 'dispute.create')) {
      assert.ok(!creates.has(e.data.id), 'one create event per dispute: ' + e.data.id);
      assert.equal(e.data.status, 'open', e.id);
      creates.set(e.data.id, e);
    }
    const disputes = await everything(client.disputes);
    assert.ok(disputes.length >= 12);
    for (const d of disputes) {
      const created = creates.get(d.id);
      assert.ok(created, 'no dispute.create event for ' + d.id);
      assert.equal(created.data.charge, d.charge);
      assert.equal(created.data.amount, d.amount);
    }
    assert.equal(creates.size, disputes.length, 'no create event of a dispute not listed');
    for (const id of DEMO_OPEN) assert.ok(creates.has(id), id);
  });

  test(`[${version}] events.list honours limit, offset and order`, async () => {
    const chrono = await client.events.list({limit: 5, offset: 2, order: 'chronological'});
    const first = await client.events.list({limit: 7});
    assert.deepEqual(chrono.data.map((e) => e.id), first.data.slice(2).map((e) => e.id));
    const reverse = await client.events.list({limit: 3, order: 'reverse_chronological'});
    assert.equal(reverse.order, 'reverse_chronological');
    const last = await client.events.list({limit: 3, offset: reverse.total - 3});
    assert.deepEqual(reverse.data.map((e) => e.id), last.data.map((e) => e.id).reverse());
  });

  test(`[${version}] events.retrieve returns the listed event`, async () => {
    const list = await client.events.list({limit: 100});
    const picks = [list.data[0], list.data.find((e) => e.key === 'dispute.update'),
      list.data.find((e) => e.key === 'dispute.close')];
    for (const listed of picks) {
      assert.ok(listed, 'the seed has every kind of event');
      const e = await client.events.retrieve(listed.id);
      assertEvent(e);
      assert.deepEqual(e, listed);
    }
  });

  test(`[${version}] events.retrieve with a callback`, async () => {
    const {data: [listed]} = await client.events.list({limit: 1});
    const e = await new Promise((resolve, reject) => {
      client.events.retrieve(listed.id, (err, resp) => (err ? reject(err) : resolve(resp)));
    });
    assert.equal(e.id, listed.id);
    assert.equal(e.key, listed.key);
  });

  test(`[${version}] events.retrieve of an unknown event rejects with not_found`, async () => {
    const err = await rejection(client.events.retrieve('evnt_test_' + '0'.repeat(19)));
    assert.equal(err.object, 'error');
    assert.equal(err.code, 'not_found');
  });
}

test('a live key lists only live events, another account none of the demo account\'s', async () => {
  const live = await everything(omise({secretKey: LIVE_KEY}).events);
  assert.ok(live.length >= 1, 'the seed has live disputes');
  for (const e of live) assertEvent(e, true);
  const {data: [testEvent]} = await omise().events.list({limit: 1});
  const err = await rejection(omise({secretKey: LIVE_KEY}).events.retrieve(testEvent.id));
  assert.equal(err.code, 'not_found');

  const other = omise({secretKey: OTHER_KEY});
  const theirs = await everything(other.events);
  const demo = new Set((await everything(omise().disputes)).map((d) => d.id));
  for (const e of theirs) {
    assertEvent(e);
    assert.ok(!demo.has(e.data.id), e.data.id);
  }
  assert.equal((await rejection(other.events.retrieve(testEvent.id))).code, 'not_found');
});
