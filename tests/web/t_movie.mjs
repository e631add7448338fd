// A 3-scene movie from hand-written scenes, made through the page (#/movies/new), then on its
// board (#/movies/:id): reorder by drag and drop and by keyboard (the API's order checked
// after each), add and delete a scene, edit a prompt (and an empty one refused under the
// field), rename through the settings, render while the overall progress rises to 100, then
// the film: it plays, its subtitles track has a cue per scene, the contact sheet and the
// takes' thumbnails load, MP4 and WebM downloads are real files, the HLS address works.
import { readFileSync } from 'node:fs';
import { BASE, checkScreen, waitFor } from './lib.mjs';

export const title = 'movie: hand-written scenes → board reorder (drag, keyboard) → edit → render → play';

const SCENES = [
	{ title: 'Dawn', prompt: 'A lighthouse at dawn, waves rolling in, warm light' },
	{ title: 'Noon', prompt: 'A fishing boat leaves the harbour at noon, gulls overhead' },
	{ title: 'Dusk', prompt: 'The lighthouse beam sweeps over a calm sea at dusk' },
];

function headBytes(path, n) {
	return [...readFileSync(path).subarray(0, n)];
}

export default async function (t) {
	const page = await t.page();
	const who = await t.signUp(page, { name: 'Movie Tester' });
	const login = await t.login(who.email, who.password);
	const token = login.body.access_token;
	const getMovie = async (id) => (await t.apiAs(token, 'GET', `/api/v1/movies/${id}`)).body;
	const apiOrder = async (id) => (await getMovie(id)).scenes.map((s) => s.title);

	// ---- create through the page: "Scenes written by hand", 3 scenes of 4 s ----
	await page.goto(`${BASE}/#/movies/new`);
	await page.getByRole('radio', { name: 'Scenes written by hand' }).check();
	await page.getByLabel('Title', { exact: true }).fill('Lighthouse day');
	while (await page.getByLabel(/^Scene \d+ prompt$/).count() < SCENES.length) {
		await page.getByRole('button', { name: 'Add scene' }).click();
	}
	for (let i = 0; i < SCENES.length; i++) {
		const n = i + 1;
		await page.getByLabel(`Scene ${n} prompt`, { exact: true }).fill(SCENES[i].prompt);
		await page.getByLabel(`Scene ${n} duration`, { exact: true }).selectOption('4');
		await page.getByLabel(`Scene ${n} title`, { exact: true }).fill(SCENES[i].title);
	}
	await page.getByRole('button', { name: 'Create movie' }).click();
	await page.waitForURL(/#\/movies\/[0-9a-f-]{36}$/);
	const id = page.url().split('/').pop();
	let movie = await getMovie(id);
	t.eq(movie.scenes.map((s) => [s.title, s.duration_seconds]), SCENES.map((s) => [s.title, 4]),
		'the page made the movie with its 3 hand-written scenes of 4 s, in order');
	t.eq([movie.status, movie.provider], ['draft', 'local'], 'a hand-written movie starts as a draft, on the local provider');

	// ---- the board ----
	const board = page.getByRole('list', { name: 'Scenes' });
	const cards = board.locator('li.scene-card');
	await waitFor(async () => await cards.count() === 3, { timeout: 10000 });
	t.eq(await cards.count(), 3, 'the board shows 3 scene cards');
	const domOrder = async () => cards.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
	t.eq(await domOrder(), ['Scene 1: Dawn', 'Scene 2: Noon', 'Scene 3: Dusk'], 'the cards are in position order, named "Scene N: title"');
	t.ok(await page.getByRole('progressbar', { name: 'Movie progress' }).count() === 1, 'an overall progress bar "Movie progress"');
	t.ok(await page.getByRole('progressbar', { name: 'Scene 3 progress' }).count() === 1, 'a progress bar per scene ("Scene 3 progress")');
	const card = (name) => board.getByRole('listitem', { name: new RegExp(`^Scene \\d: ${name}$`) });
	for (const b of ['Move up', 'Move down', 'Edit', 'Delete']) {
		t.ok(await card('Noon').getByRole('button', { name: b, exact: true }).count() === 1, `each card has a "${b}" button`);
	}
	t.ok(await card('Noon').getByRole('button', { name: 'Regenerate' }).isHidden(), 'no Regenerate before the scene has a take');
	await t.shot(page, 'movie-board');
	await checkScreen(t, page, 'movie board');

	// ---- reorder by drag and drop: Dusk onto the top half of Dawn ----
	await card('Dusk').dragTo(card('Dawn'), { targetPosition: { x: 40, y: 8 } });
	const afterDrag = await waitFor(async () => {
		const o = await apiOrder(id);
		return o.join() === 'Dusk,Dawn,Noon' ? o : null;
	}, { timeout: 10000 });
	t.eq(afterDrag, ['Dusk', 'Dawn', 'Noon'], 'drag and drop: the API has the new order');
	await waitFor(async () => (await domOrder())[0] === 'Scene 1: Dusk', { timeout: 5000 });
	t.eq(await domOrder(), ['Scene 1: Dusk', 'Scene 2: Dawn', 'Scene 3: Noon'], 'drag and drop: the cards are renumbered from the answer');
	await page.waitForFunction(() => document.querySelector('.board-live')?.textContent === 'Scene 3 moved to position 1');
	t.ok(true, 'drag and drop: the live region says "Scene 3 moved to position 1"');

	// ---- reorder by keyboard: focus Dawn (2nd) and press Alt+ArrowUp ----
	const dawnId = movie.scenes.find((s) => s.title === 'Dawn').id;
	await card('Dawn').focus();
	await page.keyboard.press('Alt+ArrowUp');
	const afterKey = await waitFor(async () => {
		const o = await apiOrder(id);
		return o.join() === 'Dawn,Dusk,Noon' ? o : null;
	}, { timeout: 10000 });
	t.eq(afterKey, ['Dawn', 'Dusk', 'Noon'], 'Alt+ArrowUp: the API has the new order');
	await page.waitForFunction(() => document.querySelector('.board-live')?.textContent === 'Scene 2 moved to position 1');
	t.ok(true, 'Alt+ArrowUp: the live region says "Scene 2 moved to position 1"');
	t.eq(await page.evaluate(() => document.activeElement?.dataset?.sceneId), dawnId, 'Alt+ArrowUp: focus follows the moved card');
	t.eq(await domOrder(), ['Scene 1: Dawn', 'Scene 2: Dusk', 'Scene 3: Noon'], 'Alt+ArrowUp: the cards are in the new order');

	// ---- the Move down button: Dusk back to the end; focus stays on a Move button ----
	await card('Dusk').getByRole('button', { name: 'Move down' }).click();
	const afterButton = await waitFor(async () => {
		const o = await apiOrder(id);
		return o.join() === 'Dawn,Noon,Dusk' ? o : null;
	}, { timeout: 10000 });
	t.eq(afterButton, ['Dawn', 'Noon', 'Dusk'], 'Move down: the API has the original order again');
	await page.waitForFunction(() => document.activeElement?.closest('.scene-card')?.getAttribute('aria-label') === 'Scene 3: Dusk');
	t.ok(true, 'Move down: focus stays in the moved card');

	// ---- add a scene at position 1, then delete it ----
	await page.getByRole('button', { name: 'Add scene' }).click();
	let dlg = page.getByRole('dialog', { name: 'Add a scene' });
	await dlg.getByLabel('Prompt').fill('A short extra shot of the rocks');
	await dlg.getByLabel('Title').fill('Extra');
	await dlg.getByLabel('Position').fill('1');
	await dlg.getByRole('button', { name: 'Add scene' }).click();
	await card('Extra').waitFor();
	movie = await getMovie(id);
	t.eq(movie.scenes.map((s) => s.title), ['Extra', 'Dawn', 'Noon', 'Dusk'], 'Add scene at position 1: the API has it first');
	await card('Extra').getByRole('button', { name: 'Delete' }).click();
	await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
	await waitFor(async () => await cards.count() === 3, { timeout: 10000 });
	t.eq(await apiOrder(id), ['Dawn', 'Noon', 'Dusk'], 'Delete (confirmed): the scene is gone from the API');

	// ---- edit a prompt: an empty one is refused under the field, then a real one ----
	t.allowConsole(/status of 422/);
	await card('Noon').getByRole('button', { name: 'Edit' }).click();
	dlg = page.getByRole('dialog', { name: /^Edit scene 2$/ });
	await dlg.getByLabel('Prompt').fill('');
	await dlg.getByRole('button', { name: 'Save scene' }).click();
	await dlg.locator('textarea[name="prompt"][aria-invalid="true"]').waitFor();
	const promptErr = await dlg.locator('textarea[name="prompt"] ~ .field-error').textContent();
	t.ok(promptErr.length > 3, `an empty prompt gets the API's error under the field: "${promptErr}"`);
	const newPrompt = 'A fishing boat leaves the harbour at noon, seen from the lighthouse gallery';
	await dlg.getByLabel('Prompt').fill(newPrompt);
	await dlg.getByRole('button', { name: 'Save scene' }).click();
	await dlg.waitFor({ state: 'detached' });
	movie = await getMovie(id);
	t.eq(movie.scenes[1].prompt, newPrompt, 'Edit: the API has the new prompt');
	t.ok((await card('Noon').locator('.scene-prompt').textContent()) === newPrompt, 'Edit: the card shows the new prompt');

	// ---- settings: rename ----
	await page.getByText('Settings', { exact: true }).click();
	await page.getByLabel('Movie title').fill('Lighthouse day (cut)');
	await page.getByRole('button', { name: 'Save settings' }).click();
	await page.getByRole('heading', { level: 1, name: 'Lighthouse day (cut)' }).waitFor();
	t.eq((await getMovie(id)).title, 'Lighthouse day (cut)', 'Settings: the API has the new title');

	// ---- render: the overall progress rises to 100 and the movie succeeds ----
	await page.getByRole('button', { name: 'Render movie' }).click();
	await page.getByRole('button', { name: 'Cancel render' }).waitFor();
	t.ok(true, 'while rendering, "Cancel render" is offered');
	t.ok(await card('Dawn').getByRole('button', { name: 'Edit' }).isDisabled(), 'while rendering, the scenes cannot be edited');
	const bar = page.getByRole('progressbar', { name: 'Movie progress' });
	const seen = [];
	let shotTaken = false;
	const done = await waitFor(async () => {
		const v = Number(await bar.getAttribute('value'));
		if (seen[seen.length - 1] !== v) seen.push(v);
		if (!shotTaken && v > 0 && v < 90) {
			shotTaken = true;
			await t.shot(page, 'movie-rendering');
		}
		return (await page.locator('.movie-badge .badge').textContent()) === 'succeeded';
	}, { timeout: 180000, every: 300 });
	seen.push(Number(await bar.getAttribute('value')));
	t.ok(done, 'the page shows the movie succeeded');
	console.log(`        movie progress seen: ${seen.join(' → ')}`);
	t.ok(seen.some((v) => v > 0 && v < 100), `the overall progress showed values between 0 and 100 (${seen.length} values)`);
	t.eq(seen[seen.length - 1], 100, 'the overall progress reached 100');
	t.ok(seen.every((v, i) => i === 0 || v >= seen[i - 1]), 'the overall progress never went back');
	if (!shotTaken) await t.shot(page, 'movie-rendering');
	movie = await getMovie(id);
	t.eq(movie.status, 'succeeded', 'the API says succeeded');
	t.ok(await card('Noon').getByRole('button', { name: 'Regenerate' }).isVisible(), 'with a take, each card offers Regenerate');

	// ---- the film ----
	const video = page.getByLabel('Movie player');
	await page.waitForFunction(() => (document.querySelector('video[aria-label="Movie player"]')?.readyState || 0) >= 2, null, { timeout: 30000 });
	const duration = await video.evaluate((v) => v.duration);
	t.ok(Math.abs(duration - movie.total_duration_seconds) < 0.6,
		`the film is as long as the movie (${duration.toFixed(2)} s, API ${movie.total_duration_seconds} s)`);
	await video.evaluate((v) => { v.muted = true; return v.play(); });
	await page.waitForFunction(() => document.querySelector('video[aria-label="Movie player"]').currentTime > 0.5, null, { timeout: 15000 });
	t.ok(true, 'the film plays (currentTime advances)');
	await video.evaluate((v) => v.pause());
	const track = await page.locator('video[aria-label="Movie player"] track').evaluate((el) => ({ kind: el.kind, srclang: el.srclang }));
	t.eq(track, { kind: 'subtitles', srclang: 'en' }, 'the player has an English subtitles track');
	await video.evaluate((v) => { v.textTracks[0].mode = 'showing'; });
	const cues = await waitFor(() => video.evaluate((v) => {
		const c = v.textTracks[0].cues;
		return c && c.length >= 3 ? [...c].map((x) => x.text) : null;
	}), { timeout: 10000 });
	t.ok(cues && cues.length >= 3, `the subtitles have a cue per scene: ${JSON.stringify(cues)}`);
	const sheet = page.getByRole('img', { name: 'Contact sheet' });
	await page.waitForFunction(() => document.querySelector('img[alt="Contact sheet"]')?.naturalWidth > 0, null, { timeout: 15000 });
	t.ok(await sheet.evaluate((i) => i.naturalWidth) > 0, 'the contact sheet loads');
	await page.waitForFunction(() => [...document.querySelectorAll('.scene-card .scene-thumb img')].filter((i) => i.naturalWidth > 0).length === 3, null, { timeout: 15000 });
	t.ok(true, 'every card shows the thumbnail of its take');

	const saved = async (button) => {
		const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
		return { name: dl.suggestedFilename(), head: headBytes(await dl.path(), 12) };
	};
	const mp4 = await saved('Download MP4');
	t.ok(String.fromCharCode(...mp4.head.slice(4, 8)) === 'ftyp' && mp4.name.endsWith('.mp4'), `Download MP4 saves an MP4 (${mp4.name}, ftyp box)`);
	const webm = await saved('Download WebM');
	t.eq(webm.head.slice(0, 4), [0x1a, 0x45, 0xdf, 0xa3], `Download WebM saves a WebM (${webm.name}, EBML header)`);

	const hls = page.getByRole('link', { name: 'HLS playlist' });
	const hlsUrl = await hls.getAttribute('href');
	t.ok(hlsUrl.startsWith(`${BASE}/api/v1/movies/${id}/hls/`), `the HLS link is an absolute URL (${hlsUrl})`);
	t.ok(await page.getByRole('button', { name: /Copy/ }).count() === 1, 'a Copy button next to the HLS address');
	t.ok(await page.getByText(/Authorization: Bearer/).count() >= 1 && await page.getByText(/X-API-Key/).count() >= 1,
		'a note says players need Authorization: Bearer or X-API-Key');
	const m3u8 = await fetch(hlsUrl, { headers: { Authorization: `Bearer ${token}` } });
	t.ok(m3u8.status === 200 && (await m3u8.text()).startsWith('#EXTM3U'), 'the HLS address answers a playlist to a bearer token');

	await page.locator('.movie-film').scrollIntoViewIfNeeded();
	await t.shot(page, 'movie-film');
	await checkScreen(t, page, 'movie board with the film');

	// ---- phone ----
	const phone = await t.page({ phone: true });
	await t.signIn(phone, who.email, who.password);
	await phone.waitForURL(/#\/videos/);
	await phone.goto(`${BASE}/#/movies/${id}`);
	await phone.getByRole('list', { name: 'Scenes' }).locator('li.scene-card').nth(2).waitFor();
	await phone.waitForFunction(() => (document.querySelector('video[aria-label="Movie player"]')?.readyState || 0) >= 1, null, { timeout: 30000 });
	await t.shot(phone, 'movie-board-phone');
	await checkScreen(t, phone, 'movie board on a phone');

	// ---- Regenerate: refused while another scene has no take (the 409's detail in a
	// toast), then a new take of one scene ----
	t.allowConsole(/status of 409/);
	await page.bringToFront();
	await page.getByRole('button', { name: 'Add scene' }).click();
	dlg = page.getByRole('dialog', { name: 'Add a scene' });
	await dlg.getByLabel('Prompt').fill('The keeper climbs the stairs');
	await dlg.getByLabel('Title').fill('Stairs');
	await dlg.getByRole('button', { name: 'Add scene' }).click();
	await card('Stairs').waitFor();
	await page.locator('.movie-film .notice').waitFor();
	t.ok(true, 'after an edit the film is marked as the one of the last render');
	await card('Dawn').getByRole('button', { name: 'Regenerate' }).click();
	const refusal = page.locator('.toast-error', { hasText: /take/ });
	await refusal.waitFor();
	t.ok(true, `Regenerate while scene 4 has no take: the server's 409 detail as a toast: "${await refusal.textContent()}"`);
	await card('Stairs').getByRole('button', { name: 'Delete' }).click();
	await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
	await waitFor(async () => await cards.count() === 3, { timeout: 10000 });
	const noonTake = (await getMovie(id)).scenes.find((s) => s.title === 'Noon').video_id;
	await card('Noon').getByRole('button', { name: 'Regenerate' }).click();
	await page.getByRole('button', { name: 'Cancel render' }).waitFor();
	const regenerated = await waitFor(async () => (await page.locator('.movie-badge .badge').textContent()) === 'succeeded',
		{ timeout: 120000, every: 500 });
	movie = await getMovie(id);
	const noonNow = movie.scenes.find((s) => s.title === 'Noon');
	t.ok(regenerated && movie.status === 'succeeded' && noonNow.video_id !== noonTake && noonNow.status === 'succeeded',
		'Regenerate: scene 2 has a new take and the movie is assembled again');
	await page.waitForFunction(() => (document.querySelector('video[aria-label="Movie player"]')?.readyState || 0) >= 2, null, { timeout: 30000 });
	t.ok(await page.locator('.movie-film .notice').isHidden(), 'the new film is shown without the "last render" notice');
}
