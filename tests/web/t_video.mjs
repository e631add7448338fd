// Videos through the page: the form (every field, a first-frame upload), the card's progress
// bar watched to 100 %, the player playing the MP4, the download; a 422 under its fields;
// one video per click however often Generate is pressed; cancel; delete.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE, checkScreen, waitFor } from './lib.mjs';

export const title = 'videos: create with every field, watch progress to 100 %, play, download, 422, cancel, delete';

const PROMPT = 'A red balloon drifting over a quiet harbour at dawn';
const PROMPT2 = 'A slow pan across a snowy forest, to be cancelled';

// The card of a prompt, and what it shows.
function card(page, prompt) {
	return page.locator(`article[aria-label^="Video: ${prompt.slice(0, 30)}"]`);
}

async function cardState(page, prompt) {
	const c = card(page, prompt);
	if (await c.count() !== 1) return null;
	return {
		status: (await c.locator('.badge').textContent()).trim(),
		progress: Number(await c.locator('progress[aria-label="Progress"]').evaluate((p) => p.value)),
	};
}

export default async function (t) {
	const png = join(tmpdir(), `veogen-web-first-frame-${process.pid}.png`);
	execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=c=red:s=320x180',
		'-frames:v', '1', png]);

	const page = await t.page();
	const who = await t.signUp(page);
	const login = await t.login(who.email, who.password);
	t.eq(login.status, 200, 'the API signs the new user in too');
	const token = login.body.access_token;
	const api = (method, path, json) => t.apiAs(token, method, path, json);
	const L = (text) => page.getByLabel(text, { exact: true });

	await L('Prompt').waitFor();
	for (const label of ['Prompt', 'Negative prompt', 'Style', 'Duration', 'Aspect ratio', 'Resolution',
		'Seed', 'Provider', 'Model', 'First frame', 'Last frame', 'Reference images']) {
		t.eq(await L(label).count(), 1, `the form has a control labelled "${label}"`);
	}
	t.ok(await page.getByRole('list', { name: 'Your videos' }).count() === 1, 'the gallery is a list');
	t.ok(/No videos yet/.test(await page.locator('.gallery-empty').textContent()), 'a new user sees an empty gallery with a hint');

	// ---- a 422: the API's field errors under the prompt and the seed
	t.allowConsole(/status of 422/);
	await L('Prompt').fill('    ');
	await L('Seed').fill('-1');
	await page.getByRole('button', { name: 'Generate video' }).click();
	await page.waitForSelector('textarea[name="prompt"][aria-invalid="true"]');
	const errorUnder = (name) => page.locator(`[name="${name}"]`).evaluate((el) => {
		const msg = document.getElementById(el.dataset.errorId);
		return msg && !msg.hidden ? msg.textContent : '';
	});
	const promptErr = await errorUnder('prompt');
	const seedErr = await errorUnder('seed');
	t.ok(/2000|character/.test(promptErr), `a blank prompt's error is under the prompt: "${promptErr}"`);
	t.ok(/4294967295|0/.test(seedErr), `a seed of -1 gets its error under the seed: "${seedErr}"`);
	t.ok(/invalid/i.test(await page.locator('.video-form > .form-error').textContent()), 'the problem\'s detail is at the top of the form');
	t.eq((await api('GET', '/api/v1/videos')).body.items.length, 0, 'the 422 made no video');

	// ---- the real one: every kind of field
	await L('Prompt').fill(PROMPT);
	t.eq(await L('Prompt').getAttribute('aria-invalid'), null, 'editing the prompt clears its error');
	t.ok(await page.locator('input[name="seed"][aria-invalid="true"]').count() === 1, 'the seed keeps its error until it is edited');

	// the choices follow the model: a model without reference images hides that upload; one
	// that makes 1080p only 8 s long allows only 8 s at 1080p
	const providerIds = await L('Provider').locator('option').evaluateAll((os) => os.map((o) => o.value));
	if (providerIds.includes('gemini')) {
		await L('Provider').selectOption('gemini');
		const geminiModels = await L('Model').locator('option').evaluateAll((os) => os.map((o) => o.value));
		const lite = geminiModels.find((m) => /lite/.test(m));
		if (lite) {
			await L('Model').selectOption(lite);
			t.ok(await L('Reference images').isHidden(), `${lite} takes no reference images: the upload is hidden`);
		}
		await L('Model').selectOption(geminiModels[0]);
		t.ok(await L('Reference images').isVisible(), `${geminiModels[0]} takes reference images: the upload is back`);
		await L('Resolution').selectOption('1080p');
		const enabled = await L('Duration').locator('option:not([disabled])').evaluateAll((os) => os.map((o) => o.value));
		t.eq(enabled, ['8'], `${geminiModels[0]} at 1080p: only 8 s can be chosen`);
		t.ok(/\$[1-9]/.test(await page.locator('output.estimate').textContent()), `a priced model shows its cost: "${await page.locator('output.estimate').textContent()}"`);
		await L('Resolution').selectOption('720p');
		const all = await L('Duration').locator('option:not([disabled])').count();
		t.ok(all > 1, 'back at 720p every duration can be chosen');
	} else {
		t.ok(true, 'no gemini provider on this stack: the model limits are not checked');
	}
	t.ok((await page.locator('textarea[name="prompt"] ~ .hint').textContent()).startsWith(`${PROMPT.length} / 2000`), 'the prompt shows its character count');
	await L('Negative prompt').fill('text, watermarks');
	await L('Style').selectOption('cinematic');
	const styleHint = await page.locator('select[name="style"] ~ .hint').textContent();
	t.ok(/Hollywood|cinemat/i.test(styleHint), `the chosen style's description is shown: "${styleHint}"`);
	await L('Provider').selectOption('local');
	const models = await L('Model').locator('option').allTextContents();
	t.ok(models.length >= 1, `the local provider's models are offered: ${models.join(', ')}`);
	const durations = await L('Duration').locator('option').evaluateAll((os) => os.map((o) => o.value));
	t.eq(durations, ['4', '6', '8'], 'the durations are the model\'s');
	await L('Duration').selectOption('4');
	await L('Aspect ratio').selectOption('16:9');
	await L('Resolution').selectOption('1080p');
	await L('Seed').fill('12345');
	await L('First frame').setInputFiles(png);
	await page.locator('input[name="image_id"] ~ .uploads li', { hasText: 'uploaded' }).waitFor();
	t.ok(await page.locator('input[name="image_id"] ~ .uploads img.upload-preview').evaluate((i) => i.complete && i.naturalWidth === 320),
		'the first frame shows a preview of the picture');
	t.ok(/last frame.*first frame|first frame too/i.test(await page.locator('input[name="last_frame_id"] ~ .hint').textContent()),
		'the last frame says it needs a first frame');
	t.ok(/Estimated cost: \$0\.00/.test(await page.locator('output.estimate').textContent()), 'the estimate shows (the local model is free)');
	await page.locator('details.advanced summary').click();
	t.eq(await L('Webhook URL').isVisible(), true, 'the webhook URL is under "Advanced"');
	await t.shot(page, 'videos-form');

	// every change to a <progress> of this card, recorded in the page as it happens
	await page.evaluate((start) => {
		window.__seen = [];
		const read = () => {
			const c = [...document.querySelectorAll('article.video-card')].find((a) => a.getAttribute('aria-label').startsWith(`Video: ${start}`));
			if (!c) return;
			const v = c.querySelector('progress').value;
			const s = c.querySelector('.badge').textContent;
			const last = window.__seen[window.__seen.length - 1];
			if (!last || last.v !== v || last.s !== s) window.__seen.push({ v, s });
		};
		new MutationObserver(read).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
	}, PROMPT.slice(0, 30));
	const keys = [];
	page.on('request', (r) => {
		if (r.method() === 'POST' && r.url().endsWith('/api/v1/videos')) keys.push(r.headers()['idempotency-key']);
	});

	const t0 = Date.now();
	await page.getByRole('button', { name: 'Generate video' }).click();
	await card(page, PROMPT).waitFor({ timeout: 5000 });
	t.ok(true, `the new card is in the gallery ${Date.now() - t0} ms after the click`);
	t.ok(await page.locator('ul.video-gallery > li').first().locator('article').getAttribute('aria-label') === `Video: ${PROMPT}`,
		'the new video is at the top of the gallery');
	t.ok(keys.length === 1 && /^[0-9a-f-]{36}$/.test(keys[0] || ''), `the POST carried an Idempotency-Key (${keys[0]})`);
	let list = (await api('GET', '/api/v1/videos')).body.items;
	t.eq(list.length, 1, 'the API has the one video');
	const v1 = list[0];
	t.eq([v1.prompt, v1.negative_prompt, v1.style, v1.duration_seconds, v1.aspect_ratio, v1.resolution, v1.seed, v1.provider, v1.webhook_url],
		[PROMPT, 'text, watermarks', 'cinematic', 4, '16:9', '1080p', 12345, 'local', null], 'the API got every field the form set (and none it did not)');
	t.ok(!!v1.image_id, 'the first frame went as image_id');
	const file = await api('GET', `/api/v1/files/${v1.image_id}`);
	t.eq([file.status, file.body && file.body.width, file.body && file.body.height], [200, 320, 180], 'the uploaded first frame is the 320×180 PNG');

	// a screenshot with the card under way
	const running = await waitFor(async () => {
		const s = await cardState(page, PROMPT);
		return s && ((s.status === 'running' && s.progress > 0) || s.status === 'succeeded') ? s : null;
	}, { timeout: 30000, every: 100 });
	if (running && running.status === 'running') await t.shot(page, 'videos-gallery');
	// (a clip that renders between two polls goes from queued to succeeded: timing, not a fault)
	t.ok(!!running, `the card followed the video under way or to its end (${JSON.stringify(running)})`);

	const done = await waitFor(async () => {
		const s = await cardState(page, PROMPT);
		return s && ['succeeded', 'failed', 'cancelled'].includes(s.status) ? s : null;
	}, { timeout: 120000, every: 200 });
	t.eq(done && done.status, 'succeeded', 'the card ends succeeded');
	if (!(running && running.status === 'running')) await t.shot(page, 'videos-gallery');
	const seen = await page.evaluate(() => window.__seen);
	const values = seen.map((x) => x.v);
	t.ok(values.every((v, i) => i === 0 || v >= values[i - 1]), 'the progress never went back');
	// How many steps the bar shows depends on how fast the clip renders against the page's
	// 2 s poll (on a quiet machine a 4 s clip can go from 0 to 100 between two polls): the
	// bar must move on its own, without a reload; the steps in between are printed.
	t.ok(new Set(values).size >= 2, `the bar moved without a reload: ${values.join(' → ')} (${seen.map((x) => x.s).join(', ')})`);
	t.eq(values[values.length - 1], 100, 'the progress bar ended at 100');
	t.eq(seen[seen.length - 1].s, 'succeeded', 'with the status succeeded');
	const got = (await api('GET', `/api/v1/videos/${v1.id}`)).body;
	t.eq([got.status, got.progress], ['succeeded', 100], 'the API agrees: succeeded, 100');
	await card(page, PROMPT).locator('.video-thumb img').waitFor();
	t.ok(await card(page, PROMPT).locator('.video-thumb img').evaluate((i) => i.complete && i.naturalWidth > 0), 'the card shows the thumbnail');
	t.ok(/4 s · 1920×1080 · 16:9/.test(await card(page, PROMPT).locator('.video-meta').textContent()), 'the card shows duration and size');
	await checkScreen(t, page, 'videos form and gallery (desktop)');
	const [formBox, galleryBox] = [await page.locator('.video-form-card').boundingBox(), await page.locator('.video-gallery-section').boundingBox()];
	t.ok(formBox.x + formBox.width <= galleryBox.x, 'desktop: the form is beside the gallery');

	// the status filter
	await page.getByLabel('Status', { exact: true }).selectOption('failed');
	await page.locator('.gallery-empty:not([hidden])').waitFor();
	t.eq(await page.locator('article.video-card').count(), 0, 'the filter "failed" hides the succeeded video');
	await page.getByLabel('Status', { exact: true }).selectOption('');
	await card(page, PROMPT).waitFor();

	// ---- the player
	await card(page, PROMPT).getByRole('link', { name: 'Open' }).click();
	await page.waitForURL(new RegExp(`#/videos/${v1.id}$`));
	const player = page.getByLabel('Video player');
	await player.waitFor();
	const ready = await page.waitForFunction(() => {
		const v = document.querySelector('video[aria-label="Video player"]');
		return v && v.readyState >= 2 ? { duration: v.duration, w: v.videoWidth, h: v.videoHeight } : null;
	}, null, { timeout: 30000 }).then((hnd) => hnd.jsonValue());
	t.ok(Math.abs(ready.duration - 4) < 0.3, `the player has the video: ${ready.duration} s, ${ready.w}×${ready.h}`);
	await player.evaluate((v) => {
		v.muted = true;
		return v.play();
	});
	const played = await page.waitForFunction(() => {
		const v = document.querySelector('video[aria-label="Video player"]');
		return v.currentTime > 0.5 ? v.currentTime : null;
	}, null, { timeout: 15000 }).then((hnd) => hnd.jsonValue());
	t.ok(played > 0.5, `the video plays (currentTime ${played.toFixed(2)} s)`);
	const details = await page.locator('.video-details').textContent();
	for (const want of [got.result.sha256, '12345', 'cinematic', got.model, 'text, watermarks']) {
		t.ok(details.includes(want), `the details show ${want}`);
	}
	t.ok(/Audio\s*(yes|no)/.test(details), 'the details say whether it has audio');
	t.ok(await page.getByRole('button', { name: 'Cancel' }).isHidden(), 'no Cancel on a finished video');
	await player.evaluate((v) => v.pause());
	await t.shot(page, 'video-player');
	await checkScreen(t, page, 'player (desktop)');

	const [dl] = await Promise.all([
		page.waitForEvent('download'),
		page.getByRole('button', { name: 'Download MP4' }).click(),
	]);
	const bytes = readFileSync(await dl.path());
	t.eq(bytes.subarray(4, 8).toString('latin1'), 'ftyp', `Download MP4 gives an MP4 (${dl.suggestedFilename()}, ${bytes.length} bytes)`);
	t.eq(bytes.length, got.result.size_bytes, 'the download is the whole file');

	// ---- a second video, double-clicked: one video; then cancelled
	await page.getByRole('link', { name: '← All videos' }).click();
	await L('Prompt').waitFor();
	await L('Prompt').fill(PROMPT2);
	await L('Duration').selectOption('8');
	await L('Resolution').selectOption('1080p');
	await page.getByRole('button', { name: 'Generate video' }).dblclick();
	await card(page, PROMPT2).waitFor({ timeout: 5000 });
	list = (await api('GET', '/api/v1/videos')).body.items;
	t.eq(list.filter((v) => v.prompt === PROMPT2).length, 1, 'a double click on Generate made one video');
	const v2 = list.find((v) => v.prompt === PROMPT2);
	await card(page, PROMPT2).getByRole('button', { name: 'Cancel' }).click();
	const cancelled = await waitFor(async () => {
		const s = await cardState(page, PROMPT2);
		return s && s.status === 'cancelled' ? s : null;
	}, { timeout: 30000, every: 200 });
	t.ok(!!cancelled, 'the cancelled card ends cancelled');
	t.eq((await api('GET', `/api/v1/videos/${v2.id}`)).body.status, 'cancelled', 'the API says cancelled');
	t.ok(await card(page, PROMPT2).getByRole('button', { name: 'Cancel' }).isHidden(), 'a cancelled card has no Cancel button');

	// ---- delete
	await card(page, PROMPT2).getByRole('button', { name: 'Delete' }).click();
	const dialog = page.locator('dialog.confirm');
	await dialog.waitFor();
	await dialog.getByRole('button', { name: 'Delete' }).click();
	await card(page, PROMPT2).waitFor({ state: 'detached' });
	t.ok(true, 'Delete removed the card');
	t.eq((await api('GET', `/api/v1/videos/${v2.id}`)).status, 404, 'the API then says 404');
	t.eq(await card(page, PROMPT).count(), 1, 'the other video is still there');

	// ---- phone size
	const phone = await t.page({ phone: true });
	await t.signIn(phone, who.email, who.password);
	await phone.waitForURL(/#\/videos/);
	await card(phone, PROMPT).locator('.video-thumb img').waitFor();
	await checkScreen(t, phone, 'videos form and gallery (phone)');
	const pf = await phone.locator('.video-form-card').boundingBox();
	const pg = await phone.locator('.video-gallery-section').boundingBox();
	t.ok(pg.y >= pf.y + pf.height, 'phone: the gallery comes below the form, one column');
	const cw = await card(phone, PROMPT).boundingBox();
	t.ok(cw.width > 300, `phone: a card takes the row (${Math.round(cw.width)} px)`);
	await t.shot(phone, 'videos-phone');
	await phone.goto(`${BASE}/#/videos/${v1.id}`);
	await phone.getByLabel('Video player').waitFor();
	await checkScreen(t, phone, 'player (phone)');

	rmSync(png, { force: true });
}
