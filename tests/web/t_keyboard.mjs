// The keyboard alone: every step below is reached with Tab and done with Enter or typing,
// never a click, from the skip link to a queued video and the movie form.
import { BASE, uniqueEmail, waitFor } from './lib.mjs';

export const title = 'the keyboard alone: sign up, make a video, reach every screen';

// tabTo(page, name): presses Tab until the focused element's accessible text matches name
// (a RegExp); false when 80 presses never get there.
async function tabTo(page, name) {
	for (let i = 0; i < 80; i++) {
		await page.keyboard.press('Tab');
		const label = await page.evaluate(() => {
			const el = document.activeElement;
			// <main> takes the focus on navigation (tabindex -1): not a control Tab reached
			if (!el || el === document.body || el.tabIndex < 0) return '';
			const labels = el.labels ? [...el.labels].map((l) => l.textContent).join(' ') : '';
			return `${labels} ${el.getAttribute('aria-label') || ''} ${el.tagName === 'TEXTAREA' || el.tagName === 'INPUT' ? '' : el.textContent}`.trim();
		});
		if (name.test(label)) return true;
	}
	return false;
}

async function focusVisible(page) {
	return page.evaluate(() => {
		const s = getComputedStyle(document.activeElement);
		return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
	});
}

export default async function (t) {
	const page = await t.page();
	await page.goto(`${BASE}/#/signin`);
	await page.waitForSelector('form');
	await page.locator('body').focus();
	await page.evaluate(() => document.activeElement.blur());

	t.ok(await tabTo(page, /^Skip to content$/), 'Tab reaches the skip link first');
	t.ok(await focusVisible(page), 'the focused control shows a visible outline');
	await page.keyboard.press('Enter');
	t.ok(await page.evaluate(() => document.activeElement.id === 'main' || location.hash.endsWith('#main') || document.activeElement.closest('main') !== null),
		'the skip link moves the focus to the content');

	t.ok(await tabTo(page, /^Create an account$/), 'Tab reaches "Create an account"');
	await page.keyboard.press('Enter');
	await page.waitForURL(/#\/signup/);
	await waitFor(() => page.evaluate(() => document.activeElement?.name === 'email'), { timeout: 5000 });
	t.ok(await page.evaluate(() => document.activeElement?.name === 'email'), 'the sign-up form starts with the focus in Email');
	await page.keyboard.type(uniqueEmail('keys'));
	t.ok(await tabTo(page, /^Password/), 'Tab reaches Password');
	await page.keyboard.type('correct horse battery');
	await page.keyboard.press('Enter');
	await page.waitForURL(/#\/videos/);
	t.ok(true, 'Enter in the form creates the account');

	t.ok(await tabTo(page, /^Prompt/), 'Tab reaches the prompt');
	await page.keyboard.type('A red kite over green hills, typed without a mouse');
	t.ok(await tabTo(page, /^Generate video$/), 'Tab reaches "Generate video"');
	t.ok(await focusVisible(page), 'the button shows where the focus is');
	await page.keyboard.press('Enter');
	const card = page.locator('article[aria-label^="Video: A red kite"]');
	await card.first().waitFor({ timeout: 15000 });
	t.ok(await card.count() >= 1, 'the video made with the keyboard is in the gallery');

	t.ok(await tabTo(page, /^Movies$/), 'Tab reaches the Movies link');
	await page.keyboard.press('Enter');
	await page.waitForURL(/#\/movies$/);
	t.ok(await tabTo(page, /^New movie$/), 'Tab reaches "New movie"');
	await page.keyboard.press('Enter');
	await page.waitForURL(/#\/movies\/new/);
	t.ok(await tabTo(page, /^Title/), 'Tab reaches the movie title');

	t.ok(await tabTo(page, /^Account$/), 'Tab reaches the Account link');
	await page.keyboard.press('Enter');
	await page.waitForURL(/#\/account/);
	t.ok(await tabTo(page, /^Key name/), 'Tab reaches "Key name" on the account screen');

	t.ok(await tabTo(page, /^Sign out$/), 'Tab reaches "Sign out"');
	await page.keyboard.press('Enter');
	await page.waitForURL(/#\/signin/);
	t.ok(true, 'Enter on "Sign out" signs out');
}
