// The account screen: an API key made through the page works, is shown once, and stops
// working when revoked through the page; the webhook secret shown and rotated; usage
// against the quota ("no limit", then meters once an admin sets quotas).
import { createServer } from 'node:http';
import { BASE, checkScreen, waitFor } from './lib.mjs';

export const title = 'account: API key create/revoke, webhook secret, usage against quota';

async function meWithKey(key) {
	const res = await fetch(`${BASE}/api/v1/me`, { headers: { 'X-API-Key': key } });
	return res.status;
}

export default async function (t) {
	const page = await t.page();
	const who = await t.signUp(page, { name: 'Account Tester' });
	await page.getByRole('link', { name: 'Account' }).click();
	await page.waitForURL(/#\/account/);
	await page.getByRole('heading', { name: 'Account' }).waitFor();
	const facts = await page.locator('dl.facts').textContent();
	t.ok(facts.includes(who.email) && facts.includes('Account Tester') && facts.includes('user'),
		'the account shows the email, name and role');
	t.ok(await page.locator('.account-usage').getByText(/no limit/).count() === 2,
		'without quotas both usage lines say "no limit"');
	await page.getByText(/No API keys yet/).waitFor();
	await t.shot(page, 'account');
	await checkScreen(t, page, 'account');

	// an empty name: the API's 422 under the field
	t.allowConsole(/status of 422/);
	await page.getByRole('button', { name: 'Create key' }).click();
	await page.waitForSelector('input[name="name"][aria-invalid="true"]');
	const nameErr = await page.locator('input[name="name"] ~ .field-error').textContent();
	t.ok(nameErr.length > 3, `an empty key name gets the API's field error: "${nameErr}"`);

	// create: the secret appears once and works
	await page.getByLabel('Key name').fill('web test key');
	await page.getByRole('button', { name: 'Create key' }).click();
	const secretEl = page.locator('.new-key-secret');
	await secretEl.waitFor();
	const secret = (await secretEl.textContent()).trim();
	t.ok(/^vg_/.test(secret), `the new key's secret is shown (${secret.slice(0, 8)}…)`);
	t.ok(await page.getByText(/shown only now/).count() === 1, 'the page says the secret is shown only now');
	t.ok(await page.getByRole('button', { name: 'Copy key' }).count() === 1, 'a Copy button next to the secret');
	t.eq(await meWithKey(secret), 200, 'the new key works: GET /api/v1/me with X-API-Key');
	const row = page.locator('table.keys tbody tr', { hasText: 'web test key' });
	await row.waitFor();
	const prefix = (await row.locator('code').textContent()).replace('…', '');
	t.ok(secret.startsWith(prefix), `the key list shows its prefix (${prefix})`);
	await t.shot(page, 'account-new-key');
	await checkScreen(t, page, 'account with a new key');

	// shown once: after leaving and coming back, the secret is nowhere on the page
	await page.goto(`${BASE}/#/videos`);
	await page.goto(`${BASE}/#/account`);
	await page.locator('table.keys').waitFor();
	t.ok(await page.locator('.new-key-secret').count() === 0 && !(await page.content()).includes(secret),
		'the secret is not shown again');
	await page.locator('table.keys tbody tr', { hasText: 'web test key' }).locator('td').nth(3).textContent()
		.then((used) => t.ok(used !== 'never', `the key list shows when the key was last used (${used})`));

	// a second key, to see the list update and the right one go
	await page.getByLabel('Key name').fill('second key');
	await page.getByRole('button', { name: 'Create key' }).click();
	await page.locator('table.keys tbody tr', { hasText: 'second key' }).waitFor();
	const second = (await page.locator('.new-key-secret').textContent()).trim();
	t.eq(await page.locator('table.keys tbody tr').count(), 2, 'the key list shows both keys');

	// revoke through the page (a confirmation dialog first; Cancel keeps the key)
	await page.getByRole('button', { name: 'Revoke web test key' }).click();
	await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
	t.eq(await meWithKey(secret), 200, 'Cancel in the dialog keeps the key');
	await page.getByRole('button', { name: 'Revoke web test key' }).click();
	await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
	await page.locator('table.keys tbody tr', { hasText: 'web test key' }).waitFor({ state: 'detached' });
	t.eq(await page.locator('table.keys tbody tr').count(), 1, 'the revoked key left the list');
	t.eq(await meWithKey(secret), 401, 'the revoked key fails at once (401)');
	t.eq(await meWithKey(second), 200, 'the other key still works');

	// webhook secret: shown masked, revealed, the same as the API's; rotated → a new one
	const login = await t.login(who.email, who.password);
	const token = login.body.access_token;
	const before = (await t.apiAs(token, 'GET', '/api/v1/me/webhook-secret')).body.secret;
	await page.getByRole('button', { name: 'Show webhook secret' }).click();
	const shown = page.locator('code.webhook-secret');
	await shown.waitFor();
	t.ok(!(await shown.textContent()).includes(before.slice(8, 20)), 'the webhook secret is masked at first');
	await page.getByRole('button', { name: 'Reveal' }).click();
	t.eq((await shown.textContent()).trim(), before, 'Reveal shows the API\'s webhook secret');
	await page.getByRole('button', { name: 'Rotate webhook secret' }).click();
	await page.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
	await page.getByText(/previous one stays valid until/).waitFor();
	const after = (await t.apiAs(token, 'GET', '/api/v1/me/webhook-secret')).body;
	t.ok(after.secret && after.secret !== before, 'Rotate changed the API\'s webhook secret');
	t.ok(!!after.previous_valid_until, 'the API keeps the previous secret valid for a while');
	await page.getByRole('button', { name: 'Reveal' }).click();
	t.eq((await shown.textContent()).trim(), after.secret, 'the page shows the new secret');
	t.ok(await page.getByText(/No webhook deliveries yet/).count() === 1, 'the deliveries table says there are none yet');

	// quotas set by an admin: the meters appear with the numbers
	const admin = t.newAdmin();
	const adminTok = (await t.login(admin.email, admin.password)).body.access_token;
	const uid = (await t.apiAs(token, 'GET', '/api/v1/me')).body.id;
	const set = await t.apiAs(adminTok, 'PATCH', `/api/v1/admin/users/${uid}`,
		{ quota_video_seconds_month: 120, quota_cost_usd_month: 5 });
	t.eq(set.status, 200, 'an admin sets the quotas (API)');
	// a receiver on loopback (the dev stack allows it) for the video's webhook calls
	const hooks = [];
	const receiver = createServer((req, res) => {
		req.resume();
		req.on('end', () => {
			hooks.push(req.headers['webhook-id']);
			res.writeHead(204);
			res.end();
		});
	});
	await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
	const hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;
	const video = await t.apiAs(token, 'POST', '/api/v1/videos',
		{ prompt: 'usage meter test', duration_seconds: 4, webhook_url: hookUrl });
	t.ok(video.status === 201 || video.status === 202, `a video to count against the quota (HTTP ${video.status})`);
	await page.reload();
	const meters = page.locator('.account-usage meter');
	await meters.first().waitFor();
	t.eq(await meters.count(), 2, 'two usage meters once quotas are set');
	const secMeter = page.getByLabel('Video seconds this month');
	t.eq([await secMeter.getAttribute('max'), await secMeter.getAttribute('value')], ['120', '4'],
		'the video seconds meter: 4 of 120');
	t.ok(/4 s of 2 min 0 s/.test(await page.locator('.account-usage').textContent()), 'the numbers are next to the meter');
	t.eq(await page.getByLabel('Cost this month').getAttribute('max'), '5', 'the cost meter\'s maximum is the quota');
	await checkScreen(t, page, 'account with quotas');

	// the deliveries of that video's webhook calls, as the API lists them
	const delivered = await waitFor(async () => {
		const d = (await t.apiAs(token, 'GET', '/api/v1/me/webhook-deliveries?limit=10')).body;
		return d.items.some((x) => x.type.endsWith('succeeded') && x.state === 'delivered') ? d : null;
	}, { timeout: 90000 });
	receiver.close();
	t.ok(!!delivered, `the video's webhook calls were delivered (${hooks.length} received)`);
	if (delivered) {
		await page.getByRole('button', { name: 'Refresh deliveries' }).click();
		const rows = page.locator('table.deliveries tbody tr');
		// the table is replaced when the refreshed page arrives: wait for it, not the old one
		const listed = await waitFor(async () => (await rows.count()) >= delivered.items.length, { timeout: 10000 });
		t.ok(listed, `the deliveries table lists them (${await rows.count()} rows, the API ${delivered.items.length})`);
		t.ok((await rows.first().textContent()).includes(hookUrl), 'a delivery row shows the URL');
		t.ok(await page.locator('table.deliveries .badge-delivered').count() >= 1, 'and its state');
	}

	const phone = await t.page({ phone: true });
	await t.signIn(phone, who.email, who.password);
	await phone.waitForURL(/#\/videos/);
	await phone.goto(`${BASE}/#/account`);
	await phone.locator('table.keys').waitFor();
	await waitFor(() => phone.locator('.account-usage meter').count());
	await t.shot(phone, 'account-phone');
	await checkScreen(t, phone, 'account (phone)');
}
