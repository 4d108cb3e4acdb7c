// The evidence page and the dashboard in headless Chromium (Debian's, driven by playwright-core),
// with an axe-core scan of every page: no serious or critical violation, and no Content
// Security Policy violation (the pages have no inline code). Screenshots go to SCREENSHOTS.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const BASE = process.env.SERVER_URL;
const KEY = 'skey_test_4xs8breq3htbkj03d2x';
const OPEN_DISPUTE = 'dspt_test_5g5ih3pybo7v4wwrbjw';
const FIXTURES = process.env.FIXTURES;
const SCREENSHOTS = process.env.SCREENSHOTS;
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let browser;
test.before(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
});
test.after(async () => { if (browser) { await browser.close(); } });

/** The Omise API, with the demo key. */
async function api(method, route, body) {
  const response = await fetch(BASE + route, {
    method,
    headers: { Authorization: 'Basic ' + Buffer.from(KEY + ':').toString('base64'), 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  assert.ok(response.ok, `${method} ${route}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

async function freshDispute() {
  const charge = 'chrg_test_' + Array.from({ length: 19 }, () => '0123456789abcdefghijklmnopqrstuvwxyz'[Math.floor(Math.random() * 36)]).join('');
  return (await api('POST', `/charges/${charge}/disputes`, { amount: 125000, reason_code: 'goods_or_services_not_provided' })).id;
}

/** A page that records Content-Security-Policy violations reported to its console. */
async function newPage(context) {
  const page = await context.newPage();
  // A loaded machine (two cores shared with builds) can take a while; a missed event still fails.
  page.setDefaultTimeout(60000);
  page.violations = [];
  page.log = [];
  page.on('console', (m) => {
    page.log.push(`${m.type()}: ${m.text()}`);
    if (/Content Security Policy/i.test(m.text())) { page.violations.push(m.text()); }
  });
  page.on('pageerror', (e) => page.log.push(`pageerror: ${e.message}`));
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) { page.log.push(`navigated: ${f.url()}`); } });
  return page;
}

/** axe-core over the page as it is now: no serious or critical violation; no CSP violation. */
// An image's natural width once it has loaded or failed (0 when it failed): waits for the
// browser's own load or error event, not for a time.
async function loadedWidth(img) {
  return img.evaluate((el) => new Promise((resolve) => {
    const done = () => resolve(el.naturalWidth);
    if (el.complete) return done();
    el.addEventListener('load', done, { once: true });
    el.addEventListener('error', done, { once: true });
  }));
}

async function scan(page, label) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(' ')})`), [], `axe on ${label}`);
  assert.deepEqual(page.violations, [], `CSP on ${label}`);
}

test('an evidence link: upload by the file input and by drag and drop, previews, a refusal, delete, submit, read-only', async () => {
  const dispute = await freshDispute();
  const link = await api('POST', `/disputes/${dispute}/evidence_links`, {});
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await newPage(context);
  const opened = await page.goto(link.url);
  assert.equal(opened.status(), 200);
  await page.getByRole('heading', { name: /Dispute/ }).waitFor();
  assert.match(await page.textContent('main'), /THB 1,250\.00/);
  assert.match(await page.textContent('main'), /Proof of delivery/);
  await scan(page, 'the dispute page, empty');

  // A PNG and a PDF at once, through the file input (the script uploads what is chosen, a
  // progress bar each, then shows the page again).
  assert.equal(await page.getByRole('button', { name: 'Upload' }).isVisible(), false);
  await Promise.all([page.waitForEvent('load'),
    page.setInputFiles('#file', [path.join(FIXTURES, 'receipt.png'), path.join(FIXTURES, 'invoice.pdf')])]);
  const image = page.getByRole('img', { name: 'Preview of receipt.png' });
  await image.waitFor();
  assert.ok(await loadedWidth(image) > 0, 'the PNG is shown');
  // The PDF's page, rendered by the server as a PNG (no embedded viewer, which paints nothing
  // here), with its page count beside it.
  const preview = page.getByRole('img', { name: 'Preview of invoice.pdf' });
  await preview.waitFor();
  const width = await loadedWidth(preview);
  assert.ok(width > 0 && width <= 512, `the PDF page is shown (${width} px wide)`);
  assert.equal(await page.locator('iframe').count(), 0);
  assert.match(await page.textContent('main'), /Pages\s*1/);
  const png = await page.request.get(new URL(await preview.getAttribute('src'), BASE).href);
  assert.equal(png.status(), 200);
  assert.equal(png.headers()['content-type'], 'image/png');
  assert.equal(png.headers()['x-content-type-options'], 'nosniff');
  assert.ok(png.headers()['etag'], 'an ETag');

  // Dropped on the drop zone.
  const dropped = fs.readFileSync(path.join(FIXTURES, 'receipt.png')).toString('base64');
  await Promise.all([page.waitForEvent('load'), page.evaluate((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
    document.querySelector('.dropzone').dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  }, dropped)]);
  await page.getByRole('img', { name: 'Preview of dropped.png' }).waitFor();
  assert.equal((await api('GET', `/disputes/${dispute}/documents`)).total, 3);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'dispute-page.png'), fullPage: true });
  await scan(page, 'the dispute page with documents');

  // A text file: refused with the API's reason, beside its progress bar.
  await page.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('just some notes') });
  assert.equal(await page.locator('#upload-progress progress').count(), 1);
  const refusal = page.locator('#upload-progress .failed');
  await refusal.waitFor().catch(async (e) => {
    console.log(page.log.join('\n'), '\nurl:', page.url(), '\n', await page.content());
    throw e;
  });
  assert.match(await refusal.textContent(), /not a PNG, JPEG or PDF file \(invalid_file_type\)/);
  await scan(page, 'the dispute page after a refusal');

  // Delete the PDF: the button asks first (a box to tick), then it goes.
  await page.getByText('Delete invoice.pdf…').click();
  await page.getByRole('button', { name: 'Delete invoice.pdf' }).click();
  assert.equal(await page.getByRole('button', { name: 'Delete invoice.pdf' }).isVisible(), true, 'still asking');
  assert.equal((await api('GET', `/disputes/${dispute}/documents`)).total, 3);
  await page.getByLabel('Yes, remove invoice.pdf from the evidence.').check();
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Delete invoice.pdf' }).click()]);
  assert.equal(await page.getByRole('img', { name: 'Preview of invoice.pdf' }).count(), 0);
  assert.equal((await api('GET', `/disputes/${dispute}/documents`)).total, 2);

  // The explanation, confirmed, submitted: the page turns read-only and the API says pending.
  await page.getByLabel('Your explanation to the bank').fill('Delivered on 2 November; the signed slip is attached.');
  await page.getByLabel(/I have added all the evidence/).check();
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Submit the evidence' }).click()]);
  assert.match(await page.textContent('main'), /can no longer be changed/);
  assert.equal(await page.locator('main form').count(), 0);
  assert.equal(await page.locator('input[type=file]').count(), 0);
  assert.equal((await api('GET', `/disputes/${dispute}`)).status, 'pending');
  await scan(page, 'the dispute page, read-only');

  // At a phone's width nothing needs scrolling sideways.
  await page.setViewportSize({ width: 360, height: 740 });
  await page.reload();
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'fits a phone');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'dispute-page-phone.png'), fullPage: true });
  await context.close();
});

test('an expired or revoked link shows a clear page', async () => {
  const context = await browser.newContext();
  const page = await newPage(context);
  const revoked = await api('POST', `/disputes/${OPEN_DISPUTE}/evidence_links`, {});
  await api('DELETE', `/disputes/${OPEN_DISPUTE}/evidence_links/${revoked.id}`);
  const gone = await page.goto(revoked.url);
  assert.equal(gone.status(), 410);
  await page.getByRole('heading', { name: 'This link was withdrawn' }).waitFor();
  await scan(page, 'a revoked link');

  const short = await api('POST', `/disputes/${OPEN_DISPUTE}/evidence_links`, { expires_in: 1 });
  // Poll, with a deadline, until the second has passed on the server's clock.
  const deadline = Date.now() + 10000;
  let status = (await page.goto(short.url)).status();
  while (status !== 410 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    status = (await page.goto(short.url)).status();
  }
  assert.equal(status, 410);
  await page.getByRole('heading', { name: 'This link has expired' }).waitFor();
  await scan(page, 'an expired link');

  const unknown = await page.goto(BASE + '/web/evidence/not-a-real-link');
  assert.equal(unknown.status(), 404);
  await page.getByRole('heading', { name: 'This link is not valid' }).waitFor();
  await scan(page, 'an unknown link');
  await context.close();
});

test('the dashboard: sign in with a key, list, open, sign out; a form without the CSRF token fails', async () => {
  const dispute = await freshDispute();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await newPage(context);
  await page.goto(BASE + '/web/disputes');
  assert.equal(new URL(page.url()).pathname, '/web/login');
  await scan(page, 'the sign-in page');
  await page.getByLabel('Secret key').fill('skey_test_wrongwrongwrong000');
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
  await page.getByRole('alert').waitFor();
  await scan(page, 'the sign-in page with a refusal');
  await page.getByLabel('Secret key').fill(KEY);
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
  assert.equal(new URL(page.url()).pathname, '/web/disputes');

  // The session is an HttpOnly, SameSite=Strict cookie; the key is nowhere in the browser.
  const cookies = await context.cookies();
  assert.equal(cookies.length, 1);
  assert.equal(cookies[0].httpOnly, true);
  assert.equal(cookies[0].sameSite, 'Strict');
  assert.ok(!cookies[0].value.includes(KEY));
  const stored = await page.evaluate(() => JSON.stringify([document.cookie, Object.entries(localStorage), Object.entries(sessionStorage)]));
  assert.ok(!stored.includes(KEY) && !(await page.content()).includes(KEY));

  await page.getByRole('link', { name: dispute }).waitFor();
  assert.match(await page.textContent('main'), /left/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard.png'), fullPage: true });
  await scan(page, 'the dashboard');
  await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'Pending', exact: true }).click()]);
  await scan(page, 'the dashboard, pending');
  await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'Open', exact: true }).click()]);

  await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: dispute }).click()]);
  await page.getByRole('heading', { name: new RegExp(dispute) }).waitFor();
  await scan(page, 'the dispute page from the dashboard');

  // A form posted without the token (as another site's form would): refused, nothing changed.
  const forged = await page.evaluate(async (action) => {
    const response = await fetch(action, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'confirm=yes' });
    return response.status;
  }, `/web/disputes/${dispute}/accept`);
  assert.equal(forged, 403);
  assert.equal((await api('GET', `/disputes/${dispute}`)).status, 'open');
  // Another site's page posting the form itself: the browser keeps the cookie back
  // (SameSite=Strict) and the server refuses the foreign origin.
  await context.route('http://attacker.test/**', (route) => route.fulfill({
    contentType: 'text/html',
    body: `<form method="post" action="${BASE}/web/disputes/${dispute}/accept"><input name="confirm" value="yes"></form>`
      + '<script>document.forms[0].submit()</script>',
  }));
  const attacker = await context.newPage();
  const [answer] = await Promise.all([
    attacker.waitForResponse((r) => r.url().startsWith(`${BASE}/web/disputes/${dispute}/accept`)),
    attacker.goto('http://attacker.test/'),
  ]);
  assert.equal(answer.status(), 403);
  await attacker.close();
  assert.equal((await api('GET', `/disputes/${dispute}`)).status, 'open');

  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Sign out' }).click()]);
  assert.equal(new URL(page.url()).pathname, '/web/login');
  await page.goto(BASE + '/web/disputes');
  assert.equal(new URL(page.url()).pathname, '/web/login');
  await context.close();
});
