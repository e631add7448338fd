// Sign up, out and in through the page; the server's errors shown next to the fields.
import { BASE, checkScreen, uniqueEmail } from './lib.mjs';

export const title = 'sign up, sign out, sign in; errors next to the fields';

export default async function (t) {
	const page = await t.page();
	t.ok(/#\/signin$/.test(page.url()), 'a visitor lands on the sign-in screen');
	await t.shot(page, 'signin');
	await checkScreen(t, page, 'sign-in');

	// a short password: the API's 422 field error, under the password field
	t.allowConsole(/status of 422/);
	await page.goto(`${BASE}/#/signup`);
	await page.getByLabel('Email').fill(uniqueEmail('short'));
	await page.getByLabel('Password').fill('short');
	await page.getByRole('button', { name: 'Create account' }).click();
	const pw = page.getByLabel('Password');
	await page.waitForSelector('input[name="password"][aria-invalid="true"]');
	t.ok(await pw.getAttribute('aria-invalid') === 'true', 'a short password is marked invalid');
	const pwError = await page.locator('input[name="password"] ~ .field-error').textContent();
	t.ok(/10/.test(pwError), `the password's error says what to do: "${pwError}"`);
	await t.shot(page, 'signup-error');
	await checkScreen(t, page, 'sign-up');

	const who = await t.signUp(page, { name: 'Web Tester' });
	t.ok(await page.locator('#who-email').textContent() === 'Web Tester', 'the header shows who is signed in');
	// the session survives a reload of the tab (refresh token in sessionStorage)
	await page.reload();
	await page.waitForSelector('#who:not([hidden])');
	t.ok(/#\/videos/.test(page.url()), 'a reload keeps the session');

	await page.getByRole('button', { name: 'Sign out' }).click();
	await page.waitForURL(/#\/signin/);
	t.ok(await page.locator('#nav').isHidden(), 'signed out: the navigation is gone');

	// a wrong password: the server's one answer, at the top of the form
	t.allowConsole(/status of 401/);
	await t.signIn(page, who.email, 'not the password at all');
	const alert = page.locator('.form-error');
	await alert.waitFor();
	t.ok((await alert.textContent()).length > 10, `a wrong password gets a message: "${await alert.textContent()}"`);

	await t.signIn(page, who.email, who.password);
	await page.waitForURL(/#\/videos/);
	t.ok(true, 'signed in again');

	// The access token is renewed before it expires, with the page's clock run forward past
	// auth.access_ttl_s (900 s on the dev stack): the refresh is sent by itself, and the
	// next request carries the new token.
	const timed = await t.page();
	await timed.clock.install();
	await timed.reload();
	await t.signIn(timed, who.email, who.password);
	await timed.waitForURL(/#\/videos/);
	const bearer = async (hash) => {
		const req = timed.waitForRequest((r) => r.url().includes('/api/v1/') && !!r.headers().authorization);
		await timed.goto(`${BASE}/${hash}`);
		return (await req).headers().authorization;
	};
	const before = await bearer('#/account');
	const refreshed = timed.waitForResponse((r) => r.url().endsWith('/api/v1/auth/refresh'), { timeout: 10000 });
	await timed.clock.fastForward('16:00');
	const answer = await refreshed.catch(() => null);
	t.ok(answer && answer.status() === 200, 'the page refreshes the access token before it expires');
	const after = await bearer('#/videos');
	t.ok(before && after && before !== after, 'requests after the refresh carry the new access token');
}
