// The browser tests' harness: Debian's chromium through playwright-core, one fresh profile per
// run, and a `t` object for each test file with checks, pages, screenshots and accounts.
//
// A test file t_NAME.mjs exports `title` and a default async function (t). Checks:
//   t.ok(cond, what)  t.eq(actual, expected, what)
// Pages: `const page = await t.page()` (desktop) or `t.page({phone: true})` (390×844); every
// console error or uncaught exception on a page fails the test unless the test said it
// expects it: t.allowConsole(/status of 422/).
// Screenshots: `await t.shot(page, 'videos-gallery')` → ARTEFACTS/<file>-<name>.png.
// Accounts: `await t.signUp(page)` through the page; `t.newAdmin()` with the stack's veogenctl.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const BASE = process.env.VEOGEN_BASE_URL || 'http://127.0.0.1:8080';
export const ARTEFACTS = process.env.VEOGEN_WEB_ARTEFACTS ||
	join(process.env.VEOGEN_LOG_DIR || tmpdir(), 'web');
const CHROMIUM = process.env.VEOGEN_CHROMIUM || '/usr/bin/chromium';

// No outside network here: everything that would phone home is off.
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync',
	'--disable-dev-shm-usage', '--autoplay-policy=no-user-gesture-required'];

export async function launch() {
	mkdirSync(ARTEFACTS, { recursive: true });
	const profile = mkdtempSync(join(tmpdir(), 'veogen-web-profile-'));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM,
		headless: true,
		args: ARGS,
		viewport: { width: 1280, height: 900 },
		acceptDownloads: true,
	});
	context.setDefaultTimeout(15000);
	return {
		context,
		async close() {
			await context.close().catch(() => {});
			rmSync(profile, { recursive: true, force: true });
		},
	};
}

let emailSeq = 0;
export function uniqueEmail(tag) {
	emailSeq += 1;
	return `web-${tag}-${Date.now()}-${process.pid}-${emailSeq}@example.com`;
}

// makeT(context, file): the `t` of one test file.
export function makeT(context, file) {
	const t = {
		file,
		passed: 0,
		failed: 0,
		shots: [],
		pages: [],
		allowed: [],
		ok(cond, what) {
			if (cond) {
				t.passed += 1;
				console.log(`ok      ${what}`);
			} else {
				t.failed += 1;
				console.log(`FAILED  ${what}`);
			}
			return !!cond;
		},
		eq(actual, expected, what) {
			const same = JSON.stringify(actual) === JSON.stringify(expected);
			return t.ok(same, same ? what : `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
		},
		allowConsole(re) { t.allowed.push(re); },
		async page(opts = {}) {
			const page = await context.newPage();
			if (opts.phone) await page.setViewportSize({ width: 390, height: 844 });
			const entry = { page, errors: [] };
			page.on('console', (m) => {
				if (m.type() === 'error') entry.errors.push(`console: ${m.text()} (${m.location().url || '?'})`);
			});
			page.on('pageerror', (e) => entry.errors.push(`uncaught: ${e.message}`));
			t.pages.push(entry);
			await page.goto(`${BASE}/`);
			return page;
		},
		async shot(page, name) {
			const path = join(ARTEFACTS, `${file.replace(/\.mjs$/, '')}-${name}.png`);
			await page.screenshot({ path, fullPage: true });
			t.shots.push(path);
			return path;
		},
		// signUp(page, {email, password, name}): creates an account through the page's own
		// form and waits for the videos screen.
		async signUp(page, who = {}) {
			const email = who.email || uniqueEmail(file.replace(/\W+/g, ''));
			const password = who.password || 'correct horse battery';
			await page.goto(`${BASE}/#/signup`);
			await page.getByLabel('Email').fill(email);
			if (who.name) await page.getByLabel('Name (optional)').fill(who.name);
			await page.getByLabel('Password').fill(password);
			await page.getByRole('button', { name: 'Create account' }).click();
			await page.waitForURL(/#\/videos/);
			return { email, password };
		},
		async signIn(page, email, password) {
			await page.goto(`${BASE}/#/signin`);
			await page.getByLabel('Email').fill(email);
			await page.getByLabel('Password').fill(password);
			await page.getByRole('button', { name: 'Sign in' }).click();
		},
		// newAdmin(): an admin account made as an operator makes one (veogenctl user add --admin).
		newAdmin() {
			const email = uniqueEmail('admin');
			const password = `pw-${Math.random().toString(36).slice(2)}-${Date.now()}`;
			const bin = process.env.VEOGEN_BIN_DIR ? join(process.env.VEOGEN_BIN_DIR, 'veogenctl') : 'veogenctl';
			const args = process.env.VEOGEN_CONF ? ['-c', process.env.VEOGEN_CONF] : [];
			const id = execFileSync(bin, [...args, 'user', 'add', '--admin', email], {
				env: { ...process.env, VEOGEN_PASSWORD: password },
				stdio: ['ignore', 'pipe', 'inherit'],
			}).toString().trim();
			return { id, email, password };
		},
		// The API straight, for setup and for checking what the page did (never instead of it).
		async apiAs(token, method, path, json) {
			const headers = { Authorization: `Bearer ${token}` };
			if (json !== undefined) headers['Content-Type'] = 'application/json';
			const res = await fetch(`${BASE}${path}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
			const text = await res.text();
			let body = null;
			try { body = text ? JSON.parse(text) : null; } catch (e) { body = text; }
			return { status: res.status, body };
		},
		async login(email, password) {
			const res = await fetch(`${BASE}/api/v1/auth/login`, {
				method: 'POST', headers: { 'Content-Type': 'application/json' },
				body: JSON.stringify({ email, password }),
			});
			return { status: res.status, body: await res.json().catch(() => null) };
		},
		// Checks every page this test opened: no console errors but the allowed ones.
		finish() {
			for (const { errors } of t.pages) {
				for (const e of errors) {
					if (!t.allowed.some((re) => re.test(e))) t.ok(false, `no console errors: ${e}`);
				}
			}
			t.ok(true, `${t.pages.length} page(s) without unexpected console errors`);
		},
	};
	return t;
}

// The checks every screen gets: every control labelled, nothing wider than the screen.
export async function checkScreen(t, page, what) {
	const unlabelled = await page.evaluate(() => {
		const bad = [];
		for (const el of document.querySelectorAll('input, select, textarea, button, [role="button"]')) {
			if (el.type === 'hidden' || el.closest('[hidden]')) continue;
			const style = getComputedStyle(el);
			if (style.display === 'none' || style.visibility === 'hidden') continue;
			const name = (el.labels && [...el.labels].map((l) => l.textContent).join(' ').trim()) ||
				el.getAttribute('aria-label') || (el.getAttribute('aria-labelledby') &&
					document.getElementById(el.getAttribute('aria-labelledby'))?.textContent) ||
				(['BUTTON'].includes(el.tagName) || el.getAttribute('role') === 'button' ? el.textContent.trim() : '') ||
				el.getAttribute('title');
			if (!name) bad.push(el.outerHTML.slice(0, 120));
		}
		return bad;
	});
	t.ok(unlabelled.length === 0, `${what}: every control has a label${unlabelled.length ? `: ${unlabelled.join(' | ')}` : ''}`);
	const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
	t.ok(overflow <= 0, `${what}: nothing wider than the window (${overflow} px over)`);
}

// waitFor(fn, {timeout, every}): fn() until truthy; its last value.
export async function waitFor(fn, { timeout = 60000, every = 250 } = {}) {
	const until = Date.now() + timeout;
	let last;
	while (Date.now() < until) {
		last = await fn();
		if (last) return last;
		await new Promise((r) => setTimeout(r, every));
	}
	return last;
}
