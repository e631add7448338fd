// The admin screens: an admin disables a user through the page (the API then refuses that
// user), enables them again and sets a quota; the job queue with its filters and a retry;
// the audit log shows the admin's own change; the usage rollups. A normal user gets the
// refusal and no table.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { BASE, checkScreen, waitFor } from './lib.mjs';

export const title = 'admin: users (disable, quota), jobs (filter, retry), audit log, usage';

function rollup() {
	const bin = process.env.VEOGEN_BIN_DIR ? join(process.env.VEOGEN_BIN_DIR, 'veogen-rollup') : 'veogen-rollup';
	const args = process.env.VEOGEN_CONF ? ['-c', process.env.VEOGEN_CONF] : [];
	execFileSync(bin, args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

export default async function (t) {
	// a normal user, in their own page
	const userPage = await t.page();
	const user = await t.signUp(userPage, { name: 'Plain User' });
	const userTok = (await t.login(user.email, user.password)).body.access_token;
	const userId = (await t.apiAs(userTok, 'GET', '/api/v1/me')).body.id;

	// the user is not an admin: the refusal, no table, no Admin link
	await userPage.goto(`${BASE}/#/admin/users`);
	await userPage.getByText(/These pages are for administrators/).waitFor();
	t.ok(await userPage.locator('table').count() === 0, 'a non-admin at #/admin/users sees the refusal and no table');
	t.ok(await userPage.locator('#nav-admin').isHidden(), 'a non-admin has no Admin link');

	// work for the queue and the rollups: one video cancelled (a retryable job), one queued
	const v1 = await t.apiAs(userTok, 'POST', '/api/v1/videos', { prompt: 'admin test, to be cancelled', duration_seconds: 4 });
	const v2 = await t.apiAs(userTok, 'POST', '/api/v1/videos', { prompt: 'admin test, left to run', duration_seconds: 4 });
	t.ok(v1.status === 202 && v2.status === 202, 'the user made two videos (API)');
	await t.apiAs(userTok, 'POST', `/api/v1/videos/${v1.body.id}/cancel`);
	rollup();

	// the admin signs in on another page
	const admin = t.newAdmin();
	const adminTok = (await t.login(admin.email, admin.password)).body.access_token;
	const page = await t.page();
	await t.signIn(page, admin.email, admin.password);
	await page.waitForURL(/#\/videos/);
	await page.getByRole('link', { name: 'Admin' }).click();
	await page.waitForURL(/#\/admin\/users/);
	const tabs = page.getByRole('navigation', { name: 'Admin sections' });
	t.eq(await tabs.getByRole('link').allTextContents(), ['Users', 'Jobs', 'Audit log', 'Usage'], 'the admin tabs');
	t.eq(await tabs.locator('[aria-current="page"]').textContent(), 'Users', 'the Users tab is the current one');

	// find the user
	await page.getByLabel('Email or name').fill(user.email);
	await page.getByRole('button', { name: 'Search' }).click();
	await waitFor(async () => (await page.locator('table.admin-users tbody tr:not(.row-error)').count()) === 1, { timeout: 10000 });
	const row = page.locator('table.admin-users tbody tr:not(.row-error)');
	t.ok((await row.textContent()).includes(user.email), 'the search finds the user');
	t.ok((await row.textContent()).includes('Plain User'), 'the row shows the user\'s name');
	const used = await row.locator('.usage-cell').textContent();
	t.ok(/^4 s/.test(used), `the row shows this month's usage: the one video not cancelled (${used})`);
	await checkScreen(t, page, 'admin users');

	// disable through the page
	await page.getByLabel(`Disabled for ${user.email}`).check();
	await page.getByRole('button', { name: `Save ${user.email}` }).click();
	await page.getByText(`Saved ${user.email}.`).waitFor();
	const afterDisable = await t.apiAs(adminTok, 'GET', `/api/v1/admin/users/${userId}`);
	t.eq(afterDisable.body.disabled, true, 'the API has the user disabled');
	const refused = await t.login(user.email, user.password);
	t.eq(refused.status, 403, 'the disabled user cannot sign in (403)');
	t.ok(/disabled/.test(refused.body?.detail || ''), `the server says why: "${refused.body?.detail}"`);
	// the user's open page: its next request is refused with the server's message
	t.allowConsole(/status of 403/);
	await userPage.goto(`${BASE}/#/account`);
	const userAlert = userPage.locator('main [role="alert"]');
	await userAlert.waitFor();
	t.ok(/disabled/.test(await userAlert.textContent()), `the user's page shows the server's message: "${await userAlert.textContent()}"`);
	t.eq(await userPage.locator('table').count(), 0, 'the disabled user\'s page shows none of their data');

	// the page sent only what changed
	const audit1 = await t.apiAs(adminTok, 'GET', `/api/v1/admin/audit?action=user.update&user_id=${admin.id}&limit=1`);
	t.eq(Object.keys(audit1.body.items[0]?.details?.after || {}), ['disabled'], 'the PATCH held only the changed field');

	// enable again, and a quota
	await page.getByLabel(`Disabled for ${user.email}`).uncheck();
	await page.getByLabel(`Video seconds quota for ${user.email}`).fill('300');
	await page.getByLabel(`Cost quota for ${user.email}`).fill('2.5');
	await page.getByRole('button', { name: `Save ${user.email}` }).click();
	await waitFor(async () => (await t.apiAs(adminTok, 'GET', `/api/v1/admin/users/${userId}`)).body.disabled === false, { timeout: 10000 });
	const afterEnable = (await t.apiAs(adminTok, 'GET', `/api/v1/admin/users/${userId}`)).body;
	t.eq([afterEnable.disabled, afterEnable.quota.video_seconds_month, afterEnable.quota.cost_usd_month], [false, 300, 2.5],
		'enabled again with the quotas the page set');
	t.eq((await t.login(user.email, user.password)).status, 200, 'the user can sign in again');
	const me = await t.apiAs((await t.login(user.email, user.password)).body.access_token, 'GET', '/api/v1/me');
	t.eq(me.body.quota, { video_seconds_month: 300, cost_usd_month: 2.5 }, 'GET /me shows the new quota');

	// a bad quota: the API's field error under that control
	t.allowConsole(/status of 422/);
	await page.getByLabel(`Video seconds quota for ${user.email}`).fill('1.5');
	await page.getByRole('button', { name: `Save ${user.email}` }).click();
	await page.waitForSelector('input[name="quota_video_seconds_month"][aria-invalid="true"]');
	const qErr = await page.locator('input[name="quota_video_seconds_month"] ~ .field-error').textContent();
	t.ok(qErr.length > 5, `a fractional seconds quota gets the API's field error: "${qErr}"`);
	t.ok((await page.locator('tr.row-error').textContent()).length > 5, 'and the problem\'s detail under the row');
	await page.getByLabel(`Video seconds quota for ${user.email}`).fill('300');
	t.ok(await page.locator('tr.row-error').isHidden() &&
		await page.locator('input[name="quota_video_seconds_month"][aria-invalid="true"]').count() === 0,
	'correcting the field clears its error');
	await t.shot(page, 'admin-users');

	// jobs: the list, the filters, a retry
	await tabs.getByRole('link', { name: 'Jobs' }).click();
	await page.waitForURL(/#\/admin\/jobs/);
	await page.locator('table.admin-jobs').waitFor();
	t.ok(await page.locator('table.admin-jobs tbody tr').count() >= 2, 'the jobs screen lists jobs');
	t.eq(await tabs.locator('[aria-current="page"]').textContent(), 'Jobs', 'the Jobs tab is the current one');
	await page.getByLabel('State').selectOption('cancelled');
	await waitFor(async () => {
		const states = await page.locator('table.admin-jobs tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.state));
		return states.length > 0 && states.every((s) => s === 'cancelled');
	}, { timeout: 10000 });
	const cancelled = page.locator('table.admin-jobs tbody tr', { hasText: v1.body.id.slice(0, 8) });
	t.eq(await cancelled.count(), 1, 'the State filter shows the cancelled video\'s job');
	await page.getByLabel('Kind').selectOption('movie.plan');
	const narrowed = await waitFor(async () => {
		if (await page.getByText('No job matches.').count()) return 'none';
		const rows = await page.locator('table.admin-jobs tbody tr').evaluateAll((rs) => rs.map((r) => `${r.dataset.kind}/${r.dataset.state}`));
		return rows.length > 0 && rows.every((r) => r === 'movie.plan/cancelled') ? `${rows.length}` : null;
	}, { timeout: 10000 });
	t.ok(!!narrowed, `the Kind filter narrows the list to cancelled movie.plan jobs (${narrowed})`);
	await page.getByLabel('Kind').selectOption('video.generate');
	await cancelled.waitFor();
	await checkScreen(t, page, 'admin jobs');
	await t.shot(page, 'admin-jobs');
	const jobId = await cancelled.getAttribute('data-job-id');
	await cancelled.getByRole('button', { name: 'Retry' }).click();
	await waitFor(async () => ['queued', 'running', 'succeeded'].includes(
		(await t.apiAs(adminTok, 'GET', `/api/v1/admin/jobs/${jobId}`)).body.state), { timeout: 10000 });
	t.ok(true, 'Retry queued the job again (API)');
	// a stale Retry (the job moved on): the server's 409 in a toast
	t.allowConsole(/status of 409/);
	const v3 = await t.apiAs(userTok, 'POST', '/api/v1/videos', { prompt: 'admin test, stale retry', duration_seconds: 4 });
	await t.apiAs(userTok, 'POST', `/api/v1/videos/${v3.body.id}/cancel`);
	const stale = page.locator('table.admin-jobs tbody tr', { hasText: v3.body.id.slice(0, 8) });
	await waitFor(async () => {
		await page.getByRole('button', { name: 'Refresh' }).click();
		return stale.count();
	}, { timeout: 20000, every: 1000 });
	const staleId = await stale.getAttribute('data-job-id');
	t.eq((await t.apiAs(adminTok, 'POST', `/api/v1/admin/jobs/${staleId}/retry`)).status, 200, 'the job is retried behind the page\'s back');
	await stale.getByRole('button', { name: 'Retry' }).click();
	const toast = page.locator('.toast-error', { hasText: /only a failed or cancelled job|is (queued|running|succeeded)/ });
	await toast.waitFor();
	t.ok(true, `a stale Retry shows the server's 409: "${await toast.textContent()}"`);

	// audit: the admin's own user.update
	await tabs.getByRole('link', { name: 'Audit log' }).click();
	await page.waitForURL(/#\/admin\/audit/);
	await page.locator('table.admin-audit').waitFor();
	await page.getByLabel('User id').fill(admin.id);
	await page.getByLabel('Action').fill('user.update');
	await page.getByRole('button', { name: 'Filter', exact: true }).click();
	await waitFor(async () => {
		const acts = await page.locator('table.admin-audit tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.action));
		return acts.length > 0 && acts.every((a) => a === 'user.update');
	}, { timeout: 10000 });
	const updates = page.locator('table.admin-audit tbody tr');
	t.ok(await updates.count() >= 2, `the audit log shows the admin's user.update rows (${await updates.count()})`);
	t.ok((await updates.first().textContent()).includes(userId.slice(0, 8)), 'the row names the user changed');
	t.ok(/disabled=false|quota/.test(await updates.first().locator('.details-cell').textContent()), 'the details are shown as compact text');
	await checkScreen(t, page, 'admin audit');
	await t.shot(page, 'admin-audit');
	// a bad filter: the server's 400 at the top of the form
	t.allowConsole(/status of 400/);
	await page.getByLabel('User id').fill('not-a-uuid');
	await page.getByRole('button', { name: 'Filter', exact: true }).click();
	const bad = page.locator('form .form-error');
	await bad.waitFor();
	t.ok(/user_id/.test(await bad.textContent()), `a bad user id gets the server's message: "${await bad.textContent()}"`);
	// "Older": the cursor paging (25 a page), on the whole log: enough sign-ins to fill pages
	for (let i = 0; i < 26; i++) await t.login(user.email, user.password);
	await page.getByRole('button', { name: 'Clear filters' }).click();
	await waitFor(async () => {
		const acts = await page.locator('table.admin-audit tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.action));
		return acts.length === 25 && acts.includes('auth.login');
	}, { timeout: 10000 });
	const auditRows = page.locator('table.admin-audit tbody tr');
	const firstId = Number(await auditRows.first().getAttribute('data-audit-id'));
	const lastId = Number(await auditRows.last().getAttribute('data-audit-id'));
	await page.getByRole('button', { name: 'Older' }).click();
	await waitFor(async () => Number(await auditRows.first().getAttribute('data-audit-id')) < lastId, { timeout: 10000 });
	const olderIds = await auditRows.evaluateAll((rs) => rs.map((r) => Number(r.dataset.auditId)));
	t.ok(olderIds.length > 0 && olderIds.every((id) => id < lastId), 'Older shows the entries before the first page');
	await page.getByRole('button', { name: 'Newer' }).click();
	await waitFor(async () => Number(await auditRows.first().getAttribute('data-audit-id')) === firstId, { timeout: 10000 });
	t.ok(true, 'Newer goes back to the first page');

	// usage: the rollups, with the user's row and totals
	await tabs.getByRole('link', { name: 'Usage' }).click();
	await page.waitForURL(/#\/admin\/usage/);
	await page.locator('table.admin-usage, .table-wrap p').first().waitFor();
	const urow = page.locator('table.admin-usage tbody tr', { hasText: user.email });
	t.ok(await urow.count() >= 1, 'the usage rollups show the user\'s row');
	t.ok(/Totals/.test(await page.locator('table.admin-usage tfoot').textContent()), 'the usage table has totals');
	t.ok(/Rolled up at/.test(await page.locator('main').textContent()), 'the screen says when the rollup ran');
	await page.getByLabel('User id').fill(userId);
	await page.getByRole('button', { name: 'Show', exact: true }).click();
	await waitFor(async () => {
		const ids = await page.locator('table.admin-usage tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.userId));
		return ids.length > 0 && ids.every((i) => i === userId);
	}, { timeout: 10000 });
	t.ok(true, 'the User id filter keeps only that user\'s rows');
	await checkScreen(t, page, 'admin usage');
	await t.shot(page, 'admin-usage');

	// the phone
	const phone = await t.page({ phone: true });
	await t.signIn(phone, admin.email, admin.password);
	await phone.waitForURL(/#\/videos/);
	for (const [screen, ready] of [['users', 'table.admin-users'], ['jobs', 'table.admin-jobs'],
		['audit', 'table.admin-audit'], ['usage', 'table.admin-usage']]) {
		await phone.goto(`${BASE}/#/admin/${screen}`);
		await phone.locator(ready).waitFor();
		if (screen === 'users') await t.shot(phone, 'admin-users-phone');
		await checkScreen(t, phone, `admin ${screen} (phone)`);
	}
}
