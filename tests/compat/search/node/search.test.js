'use strict';
// The official omise Node client (1.1.0)'s Search API, `omise.search.list({scope: 'dispute',
// ...})`, against dispute-docs, unmodified, under Omise-Version 2019-05-29 and 2017-11-02
// (SEARCH.md §6.11); run by tests/compat/run with `node --test`, once on Postgres and once on
// the embedded SQLite default. The client sends every parameter in the query string
// (`querystring.encode`), so filters go flat: `'filters[status]': 'lost'` (a nested
// `filters: {...}` would go out as `filters=`, which is no filter). The file opens an account
// of its own through /ops/ so that totals are exact: D1 (THB 900.00, "bad charge", pending), D2
// (THB 120.50, credit_not_processed, open), D3 (JPY 5000, accepted: lost), and a live dispute.

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
const VERSIONS = ['2019-05-29', '2017-11-02'];

// The client has no port option: every request goes through http.globalAgent.
const agent = new http.Agent({keepAlive: false});
agent.createConnection = (options) =>
  net.createConnection({...options, host: '127.0.0.1', port: PORT});
http.globalAgent = agent;

function chargeId(mode = 'test') {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  let s = '';
  for (const b of crypto.randomBytes(19)) s += alphabet[b % 36];
  return (mode === 'test' ? 'chrg_test_' : 'chrg_') + s;
}

async function send(method, p, auth, body) {
  const res = await fetch(`${BASE}${p}`, {
    method,
    headers: {'Authorization': auth, 'Content-Type': 'application/json'},
    body: JSON.stringify(body || {}),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `${method} ${p}: ${text}`);
  return JSON.parse(text);
}

const ops = (p, body) => send('POST', `/ops${p}`, 'Bearer ' + OPS_TOKEN, body);

async function openShop() {
  const account = (await ops('/accounts', {name: 'Node search shop'})).id;
  const key = (await ops(`/accounts/${account}/keys`, {mode: 'test'})).secret;
  const basic = 'Basic ' + Buffer.from(key + ':').toString('base64');
  const open = async (body) => (await send('POST', `/charges/${chargeId()}/disputes`, basic, body)).id;
  const d1 = await open({amount: 90000, currency: 'THB'});
  const d2 = await open({amount: 12050, currency: 'THB', reason_code: 'credit_not_processed'});
  const d3 = await open({amount: 5000, currency: 'JPY'});
  await send('PATCH', `/disputes/${d1}`, basic, {message: 'bad charge'});
  await send('PATCH', `/disputes/${d3}/accept`, basic, {});
  await ops('/disputes', {account, mode: 'live', charge: chargeId('live'), amount: 90000});
  return {key, d1, d2, d3};
}

const shop = openShop();
const ids = (search) => search.data.map((d) => d.id);

for (const version of VERSIONS) {
  const client = async () =>
    omiseFactory({secretKey: (await shop).key, host: '127.0.0.1', scheme: 'http', omiseVersion: version});

  test(`[${version}] search.list with a flat status filter finds the lost dispute`, async () => {
    const {d3} = await shop;
    const search = await (await client()).search.list({scope: 'dispute', 'filters[status]': 'lost'});
    assert.equal(search.object, 'search');
    assert.equal(search.total, 1);
    assert.deepEqual(ids(search), [d3]);
    assert.deepEqual(search.filters, {status: 'lost'});
    assert.equal(search.data[0].status, 'lost');
    assert.match(search.data[0].closed_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    if (version === '2017-11-02') {
      assert.deepEqual(Object.keys(search),
        ['object', 'order', 'scope', 'query', 'filters', 'page', 'per_page', 'location', 'total_pages', 'total', 'data']);
      assert.equal(search.data[0].currency, 'jpy');
      assert.ok('created' in search.data[0]);
    } else {
      assert.equal(search.export, null);
      assert.equal(search.aggregate_level, null);
      assert.equal(search.data[0].currency, 'JPY');
      assert.ok('created_at' in search.data[0]);
    }
  });

  test(`[${version}] search.list with a query, pages and order`, async () => {
    const {d1, d2, d3} = await shop;
    const c = await client();
    const bad = await c.search.list({scope: 'dispute', query: 'bad charge'});
    assert.deepEqual(ids(bad), [d1]);
    assert.equal(bad.query, 'bad charge');
    const all = await c.search.list({scope: 'dispute'});
    assert.deepEqual(ids(all), [d1, d2, d3]);
    assert.equal(all.per_page, 30);
    const second = await c.search.list({scope: 'dispute', per_page: 1, page: 2, order: 'reverse_chronological'});
    assert.deepEqual(ids(second), [d2]);
    assert.equal(second.total_pages, 3);
    // A nested filters object goes out as `filters=`: no filter at all (SEARCH.md §1.2).
    const nested = await c.search.list({scope: 'dispute', filters: {status: 'lost'}});
    assert.equal(nested.total, 3);
    const ranged = await c.search.list({scope: 'dispute', 'filters[amount]': '100..1000', 'filters[currency]': 'THB'});
    assert.deepEqual(ids(ranged), [d1, d2]);
  });

  test(`[${version}] a refused search rejects with the Omise error object`, async () => {
    const c = await client();
    for (const [params, code] of [
      [{scope: 'charge'}, 'invalid_scope'],
      [{scope: 'dispute', 'filters[status]': 'closed'}, 'invalid_filter'],
      [{scope: 'dispute', page: 0}, 'invalid_page'],
    ]) {
      await assert.rejects(c.search.list(params), (err) => {
        assert.equal(err.object, 'error');
        assert.equal(err.code, code);
        return true;
      });
    }
  });
}
