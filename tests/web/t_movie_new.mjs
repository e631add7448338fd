// The movie list and the create form: the three ways to start (concept, script, scenes by
// hand), the live estimate, the server's field errors under the right scene row, movies made
// with the local planner and by hand, paging, delete; desktop and phone.
import { existsSync } from 'node:fs';
import { BASE, checkScreen, waitFor } from './lib.mjs';

export const title = 'movies: list, create from a concept / script / hand-written scenes, estimate, errors';

const ID_URL = /#\/movies\/([0-9a-f-]{36})$/;

// a 64×64 PNG, and one second of silence as 8 kHz mono WAV: uploads the server accepts
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAIAAAAlC+aJAAAAeklEQVR4nO3PUQkAIBTAwBfFKEYzuiH8OITBAtzm7PV1wwUNaEEDWtCAFjSgBQ1oQQNa0IAWNKAFDWhBA1rQgBY0oAUNaEEDWtCAFjSgBQ1oQQNa0IAWNKAFDWhBA1rQgBY0oAUNaEEDWtCAFjSgBQ1oQQNa0IAWPHYB+/cA00BishIAAAAASUVORK5CYII=', 'base64');
function wav(seconds) {
	const rate = 8000;
	const data = rate * 2 * seconds;
	const b = Buffer.alloc(44 + data);
	b.write('RIFF', 0);
	b.writeUInt32LE(36 + data, 4);
	b.write('WAVEfmt ', 8);
	b.writeUInt32LE(16, 16);
	b.writeUInt16LE(1, 20); // PCM
	b.writeUInt16LE(1, 22); // mono
	b.writeUInt32LE(rate, 24);
	b.writeUInt32LE(rate * 2, 28);
	b.writeUInt16LE(2, 32);
	b.writeUInt16LE(16, 34);
	b.write('data', 36);
	b.writeUInt32LE(data, 40);
	return b;
}

async function estimateText(page) {
	return (await page.locator('output.estimate').textContent()) || '';
}

// waits until the estimate says what `re` wants; its text
async function estimateMatches(page, re) {
	return waitFor(async () => {
		const text = await estimateText(page);
		return re.test(text) ? text : false;
	}, { timeout: 5000, every: 100 });
}

async function openForm(page) {
	await page.goto(`${BASE}/#/movies/new`);
	await page.getByRole('button', { name: 'Create movie' }).waitFor();
}

export default async function (t) {
	t.allowConsole(/status of 422/);
	// the board (#/movies/:id) is another screen; until it exists its module is a 404
	if (!existsSync(new URL('../../contrib/www/js/views/movie_board.js', import.meta.url))) {
		t.allowConsole(/movie_board\.js/);
	}
	const page = await t.page();
	const who = await t.signUp(page);
	const login = await t.login(who.email, who.password);
	t.eq(login.status, 200, 'the test signs in through the API too');
	const token = login.body.access_token;

	// ---- the empty list, and the way to the form
	await page.goto(`${BASE}/#/movies`);
	await page.getByText('No movies yet').waitFor();
	t.ok(true, 'a new user\'s movie list says there are none yet');
	await checkScreen(t, page, 'movie list (empty), desktop');
	await page.getByRole('link', { name: 'New movie' }).click();
	await page.waitForURL(/#\/movies\/new$/);
	await page.getByRole('button', { name: 'Create movie' }).waitFor();

	// ---- concept mode: the default
	const group = page.getByRole('radiogroup', { name: 'How to start' });
	t.eq(await group.count(), 1, 'a radio group "How to start"');
	for (const name of ['Concept', 'Script', 'Scenes written by hand']) {
		t.eq(await group.getByRole('radio', { name, exact: true }).count(), 1, `the option "${name}"`);
	}
	t.ok(await group.getByRole('radio', { name: 'Concept', exact: true }).isChecked(), 'Concept is chosen at first');
	const conceptBox = page.getByRole('textbox', { name: 'Concept', exact: true });
	const scriptBox = page.getByRole('textbox', { name: 'Script', exact: true });
	t.ok(await conceptBox.isVisible(), 'the concept box is shown');
	t.ok(!await scriptBox.isVisible(), 'the script box is not');
	t.ok(!await page.getByLabel('Scene 1 prompt').isVisible(), 'nor the scene rows');
	for (const label of ['Title', 'Preset', 'Scene count', 'Scene duration', 'Style', 'Aspect ratio', 'Resolution',
		'Provider', 'Model', 'Continuity', 'Transition', 'Characters', 'Soundtrack', 'Title card', 'Budget (USD)']) {
		t.eq(await page.getByLabel(label, { exact: true }).count(), 1, `the control "${label}"`);
	}
	t.ok(await page.getByLabel('Continuity', { exact: true }).isChecked(), 'Continuity is on by default');
	const transitions = await page.getByLabel('Transition', { exact: true }).locator('option').evaluateAll((os) => os.map((o) => o.value));
	t.ok(['cut', 'fade', 'dissolve', 'wipeleft', 'slideright'].every((v) => transitions.includes(v)),
		`the transitions the server accepts are offered: ${transitions.slice(0, 5).join(', ')}…`);
	const styles = await page.getByLabel('Style', { exact: true }).locator('option').evaluateAll((os) => os.map((o) => o.value));
	t.ok(styles.includes('cinematic') && styles.includes('claymation') && !styles.includes('realistic'),
		'the style list has the movie styles (kind movie or both) only');
	const presetOpts = await page.getByLabel('Preset', { exact: true }).locator('option').allTextContents();
	t.ok(presetOpts.some((o) => /Commercial.*3.5/.test(o)) && presetOpts.some((o) => /Feature.*20.50/.test(o)),
		`each preset shows its range: ${presetOpts.join(' | ')}`);

	// the scene count keeps inside the preset's range
	await page.getByLabel('Preset', { exact: true }).selectOption('story');
	t.eq(await page.getByLabel('Scene count', { exact: true }).inputValue(), '10', 'the story preset starts at 10 scenes');
	t.eq(await page.getByLabel('Scene count', { exact: true }).getAttribute('max'), '20', '… and allows up to 20');
	await page.getByLabel('Preset', { exact: true }).selectOption('commercial');
	t.eq(await page.getByLabel('Scene count', { exact: true }).inputValue(), '3', 'commercial: 3 scenes');

	// ---- the estimate: free with the local provider, priced with a priced model
	await page.getByLabel('Provider', { exact: true }).selectOption('local');
	let text = await estimateMatches(page, /free \(local preview\)/);
	t.ok(text, `the local provider's estimate says free: "${text || await estimateText(page)}"`);
	t.eq(await page.locator('output.estimate').getAttribute('aria-live'), 'polite', 'the estimate is a live region');

	const providers = await t.apiAs(token, 'GET', '/api/v1/providers');
	let priced = null;
	for (const p of (providers.body && providers.body.items) || []) {
		for (const m of p.models || []) {
			if (!priced && Number(m.price_usd_per_second) > 0 && (m.durations || []).includes(4)) priced = { provider: p.id, model: m };
		}
	}
	if (priced) {
		const price = Number(priced.model.price_usd_per_second);
		const usd = (n) => `$${(Math.round(n * price * 100) / 100).toFixed(2)}`;
		await page.getByLabel('Provider', { exact: true }).selectOption(priced.provider);
		await page.getByLabel('Model', { exact: true }).selectOption(priced.model.id);
		await page.getByLabel('Resolution', { exact: true }).selectOption('720p');
		await page.getByLabel('Scene duration', { exact: true }).selectOption('8');
		await page.getByLabel('Scene count', { exact: true }).fill('3');
		text = await estimateMatches(page, new RegExp(`3 scenes.*\\${usd(24)}`));
		t.ok(text, `3 scenes × 8 s with ${priced.model.id}: ${usd(24)} (${text || await estimateText(page)})`);
		await page.getByLabel('Scene count', { exact: true }).fill('5');
		text = await estimateMatches(page, new RegExp(`5 scenes.*\\${usd(40)}`));
		t.ok(text, `the scene count changes the estimate: 5 scenes ${usd(40)} (${text || await estimateText(page)})`);
		await page.getByLabel('Scene duration', { exact: true }).selectOption('4');
		text = await estimateMatches(page, new RegExp(`5 scenes.*\\${usd(20)}`));
		t.ok(text, `the scene duration changes the estimate: 5 × 4 s ${usd(20)} (${text || await estimateText(page)})`);
		await page.getByLabel('Budget (USD)', { exact: true }).fill('0.01');
		text = await estimateMatches(page, /more than the budget/);
		t.ok(text && await page.locator('output.estimate.over').count() === 1, `over the budget: a warning (${text || await estimateText(page)})`);
		await page.getByLabel('Budget (USD)', { exact: true }).fill('');
		t.ok(await estimateMatches(page, /^(?!.*budget)/) && await page.locator('output.estimate.over').count() === 0, 'no budget: no warning');
		await page.getByLabel('Provider', { exact: true }).selectOption('local');
		t.ok(await estimateMatches(page, /free \(local preview\)/), 'back to local: free again');
	} else {
		t.ok(true, 'no priced model on this server: the priced estimate is not checked');
	}
	await page.getByLabel('Scene duration', { exact: true }).selectOption('8');
	await page.getByLabel('Scene count', { exact: true }).fill('3');
	await page.getByLabel('Title', { exact: true }).fill('An idea');
	await conceptBox.fill('A lighthouse keeper finds a message in a bottle and sails to the island it names.');
	await t.shot(page, 'movie-new-concept');
	await checkScreen(t, page, 'create (concept), desktop');

	// ---- script mode
	await group.getByRole('radio', { name: 'Script', exact: true }).check();
	t.ok(await scriptBox.isVisible() && !await conceptBox.isVisible(), 'Script: the script box replaces the concept box');
	t.ok(await page.getByLabel('Scene count', { exact: true }).isVisible(), 'a script still asks for the scene count');

	// ---- scenes by hand
	await group.getByRole('radio', { name: 'Scenes written by hand', exact: true }).check();
	t.ok(!await scriptBox.isVisible() && !await conceptBox.isVisible(), 'by hand: neither concept nor script');
	t.ok(!await page.getByLabel('Scene count', { exact: true }).isVisible(), 'by hand: no scene count (the rows are the count)');
	t.eq(await page.locator('fieldset.scene-row').count(), 3, 'three empty scene rows to start with');
	for (const n of [1, 2, 3]) {
		for (const part of ['prompt', 'duration', 'title', 'camera', 'caption', 'transition']) {
			t.eq(await page.getByLabel(`Scene ${n} ${part}`, { exact: true }).count(), 1, `"Scene ${n} ${part}"`);
		}
	}
	t.ok(await estimateMatches(page, /3 scenes.*24 s of video/), 'the estimate counts 3 scenes of 8 s');
	await page.getByRole('button', { name: 'Add scene' }).click();
	t.ok(await page.getByLabel('Scene 4 prompt').evaluate((el) => el === document.activeElement), '"Add scene" adds scene 4 and moves the focus to its prompt');
	t.ok(await estimateMatches(page, /4 scenes.*32 s of video/), 'the estimate follows: 4 scenes');
	await page.getByLabel('Scene 4 prompt').fill('to be removed');
	await page.getByRole('button', { name: 'Remove scene 2' }).click();
	t.eq(await page.locator('fieldset.scene-row').count(), 3, '"Remove scene 2" removes a row');
	t.eq(await page.getByLabel('Scene 3 prompt').inputValue(), 'to be removed', 'the rows after it are renumbered');
	t.eq(await page.locator('textarea[name="scenes[2].prompt"]').inputValue(), 'to be removed', '… and renamed for the API (scenes[2])');
	await page.getByLabel('Scene 3 prompt').fill('');
	await page.getByLabel('Scene 2 duration', { exact: true }).selectOption('4');
	t.ok(await estimateMatches(page, /3 scenes.*20 s of video/), 'a scene\'s own duration counts in the estimate (8 + 4 + 8 s)');

	// a 422: no title and an empty scene 2 prompt — each error under its own control
	await page.getByLabel('Title', { exact: true }).fill('');
	await page.getByLabel('Scene 1 prompt').fill('A wide shot of a harbour at dawn, boats rocking gently');
	await page.getByLabel('Scene 3 prompt').fill('The lighthouse lamp turns on as night falls');
	await page.getByRole('button', { name: 'Create movie' }).click();
	await page.waitForSelector('textarea[name="scenes[1].prompt"][aria-invalid="true"]');
	const sceneErr = await page.locator('textarea[name="scenes[1].prompt"] ~ .field-error').textContent();
	t.ok(sceneErr && sceneErr.length > 3, `scene 2's empty prompt: the error under scene 2's prompt ("${sceneErr}")`);
	t.eq(await page.locator('input[name="title"]').getAttribute('aria-invalid'), 'true', 'the empty title is marked invalid');
	const titleErr = await page.locator('input[name="title"] ~ .field-error').textContent();
	t.ok(titleErr && titleErr.length > 3, `the title's error under the title: "${titleErr}"`);
	t.eq(await page.locator('textarea[name="scenes[0].prompt"]').getAttribute('aria-invalid'), null, 'scene 1 is not marked');
	t.ok(/problem|invalid|field/i.test(await page.locator('.form-error').first().textContent()), 'the problem\'s detail is at the top of the form');
	t.ok(/#\/movies\/new$/.test(page.url()), 'the form stays');

	// ---- create 3 scenes by hand
	const prompts = [
		'A wide shot of a harbour at dawn, boats rocking gently',
		'A keeper climbs the spiral stairs of the lighthouse',
		'The lighthouse lamp turns on as night falls',
	];
	await page.getByLabel('Title', { exact: true }).fill('Three scenes by hand');
	t.ok(await page.locator('.movie-new-form > .form-error').isVisible(), 'with one error left to fix, the summary stays');
	await page.getByLabel('Scene 2 prompt').fill(prompts[1]);
	t.eq(await page.locator('textarea[name="scenes[1].prompt"]').getAttribute('aria-invalid'), null, 'a fixed field loses its error mark as it is edited');
	t.ok(await page.locator('textarea[name="scenes[1].prompt"] ~ .field-error').isHidden(), '… and its message');
	t.ok(await page.locator('.movie-new-form > .form-error').isHidden(), 'all fixed: the summary goes too');
	await page.getByLabel('Scene 1 title', { exact: true }).fill('Dawn');
	await page.getByLabel('Scene 1 caption', { exact: true }).fill('Morning in the harbour');
	await page.getByLabel('Scene 3 camera', { exact: true }).fill('slow tilt up');
	await page.getByLabel('Scene 3 transition', { exact: true }).selectOption('fade');
	await page.getByLabel('Provider', { exact: true }).selectOption('local');
	await t.shot(page, 'movie-new-scenes');
	await checkScreen(t, page, 'create (scenes by hand), desktop');
	await page.getByRole('button', { name: 'Create movie' }).click();
	await page.waitForURL(ID_URL);
	const handId = ID_URL.exec(page.url())[1];
	t.ok(true, `"Create movie" lands on the new movie's board (#/movies/${handId})`);
	const hand = await t.apiAs(token, 'GET', `/api/v1/movies/${handId}`);
	t.eq(hand.status, 200, 'the movie is there through the API');
	const scenes = (hand.body.scenes || []).slice().sort((a, b) => a.position - b.position);
	t.eq(scenes.map((s) => s.prompt), prompts, 'three scenes in order with the prompts typed');
	t.eq(scenes.map((s) => s.duration_seconds), [8, 4, 8], 'scene 2 has its own 4 s, the others the movie\'s 8 s');
	t.eq([scenes[0].title, scenes[0].caption, scenes[2].camera, scenes[2].transition],
		['Dawn', 'Morning in the harbour', 'slow tilt up', 'fade'], 'title, caption, camera and transition went with the scenes');
	t.eq([hand.body.title, hand.body.provider, hand.body.continuity, hand.body.transition],
		['Three scenes by hand', 'local', true, 'cut'], 'title, provider, continuity (on) and transition (cut) as chosen');

	// ---- create from a concept with the local planner
	await openForm(page);
	await page.getByLabel('Title', { exact: true }).fill('From a concept');
	await page.getByRole('textbox', { name: 'Concept', exact: true }).fill('A paper boat travels down a rainy city gutter to the sea.');
	if (await page.getByLabel('Planner', { exact: true }).count()) {
		await page.getByLabel('Planner', { exact: true }).selectOption('local');
	}
	await page.getByLabel('Preset', { exact: true }).selectOption('commercial');
	await page.getByLabel('Scene count', { exact: true }).fill('3');
	await page.getByLabel('Scene duration', { exact: true }).selectOption('4');
	await page.getByLabel('Provider', { exact: true }).selectOption('local');
	await page.getByLabel('Transition', { exact: true }).selectOption('dissolve');
	await page.getByLabel('Title card', { exact: true }).check();
	await page.getByRole('button', { name: 'Create movie' }).click();
	await page.waitForURL(ID_URL);
	const conceptId = ID_URL.exec(page.url())[1];
	const planned = await waitFor(async () => {
		const r = await t.apiAs(token, 'GET', `/api/v1/movies/${conceptId}`);
		return r.body && r.body.status !== 'planning' ? r.body : null;
	}, { timeout: 60000, every: 500 });
	t.eq(planned && planned.status, 'draft', 'the concept movie is planned into a draft');
	t.eq(planned && (planned.scenes || []).length, 3, 'with the 3 scenes asked for');
	t.eq(planned && [planned.planner, planned.preset, planned.scene_duration_seconds, planned.transition, planned.title_card],
		['local', 'commercial', 4, 'dissolve', true], 'by the local planner, with preset, duration, transition and title card as chosen');
	// rendered in the background (local provider, 3 × 4 s) while the test goes on: the list
	// later follows it to the end and shows its poster
	const render = await t.apiAs(token, 'POST', `/api/v1/movies/${conceptId}/render`);
	t.eq(render.status, 202, 'the concept movie is sent to render through the API');

	// ---- create from a script with the local planner
	await openForm(page);
	await page.getByLabel('Title', { exact: true }).fill('From a script');
	await page.getByRole('radiogroup', { name: 'How to start' }).getByRole('radio', { name: 'Script', exact: true }).check();
	await page.getByRole('textbox', { name: 'Script', exact: true }).fill(
		'EXT. BEACH - DAY\nA child builds a sand castle as the tide comes in.\n\n' +
		'EXT. BEACH - LATER\nThe waves reach the castle walls and the child digs a moat.\n\n' +
		'EXT. BEACH - SUNSET\nThe castle stands, a little smaller, glowing in the last light.');
	if (await page.getByLabel('Planner', { exact: true }).count()) {
		await page.getByLabel('Planner', { exact: true }).selectOption('local');
	}
	await page.getByLabel('Preset', { exact: true }).selectOption('commercial');
	await page.getByLabel('Scene count', { exact: true }).fill('3');
	await page.getByLabel('Provider', { exact: true }).selectOption('local');
	// characters and a soundtrack, uploaded as they are chosen
	await page.getByLabel('Characters', { exact: true }).setInputFiles([
		{ name: 'hero.png', mimeType: 'image/png', buffer: PNG },
		{ name: 'friend.png', mimeType: 'image/png', buffer: PNG },
	]);
	await page.getByLabel('Soundtrack', { exact: true }).setInputFiles({ name: 'theme.wav', mimeType: 'audio/wav', buffer: wav(1) });
	t.ok(await waitFor(async () => (await page.locator('.upload-field').getByText('uploaded').count()) === 3, { timeout: 15000 }),
		'two character pictures and a soundtrack are uploaded, with previews');
	t.eq(await page.getByRole('img', { name: 'Preview of hero.png' }).count(), 1, 'a character picture shows its preview');
	await page.getByRole('button', { name: 'Remove friend.png' }).click();
	t.eq(await page.locator('.upload-field').getByText('uploaded').count(), 2, 'a character picture can be removed again');
	await page.getByRole('button', { name: 'Create movie' }).click();
	await page.waitForURL(ID_URL);
	const scriptId = ID_URL.exec(page.url())[1];
	const split = await waitFor(async () => {
		const r = await t.apiAs(token, 'GET', `/api/v1/movies/${scriptId}`);
		return r.body && r.body.status !== 'planning' ? r.body : null;
	}, { timeout: 60000, every: 500 });
	t.eq(split && [split.status, (split.scenes || []).length, split.script ? 'script' : null], ['draft', 3, 'script'],
		'the script movie is split into a 3-scene draft');
	t.eq(split && [(split.character_image_ids || []).length, !!split.soundtrack_id], [1, true],
		'the script movie has the one character picture left and the soundtrack');

	// ---- the list: every movie, paged, with delete
	for (let i = 0; i < 20; i++) {
		const r = await t.apiAs(token, 'POST', '/api/v1/movies', { title: `Filler ${String(i).padStart(2, '0')}`, scenes: [{ prompt: `filler scene ${i}` }] });
		if (r.status !== 201) t.eq(r.status, 201, `filler movie ${i} made through the API`);
	}
	await page.goto(`${BASE}/#/movies`);
	const cards = page.locator('article.movie-card');
	await cards.first().waitFor();
	t.eq(await cards.count(), 20, 'the list shows 20 movies at first');
	t.ok(await page.getByRole('button', { name: 'Load more' }).isVisible(), '"Load more" is offered');
	await page.getByRole('button', { name: 'Load more' }).click();
	t.ok(await waitFor(async () => (await cards.count()) === 23, { timeout: 10000 }), '"Load more" brings the other 3 (23 in all)');
	t.ok(await page.getByRole('button', { name: 'Load more' }).isHidden(), 'no more pages: "Load more" goes');
	const handCard = page.locator('article[aria-label="Movie: Three scenes by hand"]');
	t.eq(await handCard.count(), 1, 'the hand-written movie is in the list');
	const handText = await handCard.textContent();
	const length = `${Math.round(hand.body.total_duration_seconds)} s`;
	t.ok(/draft/.test(handText) && /Scenes\s*3/.test(handText) && handText.includes(length) && /\$0\.00/.test(handText),
		`its card: status, 3 scenes, ${length}, cost ("${handText.replace(/\s+/g, ' ').slice(0, 160)}")`);
	t.eq(await handCard.getByRole('link', { name: 'Three scenes by hand', exact: true }).getAttribute('href'), `#/movies/${handId}`, 'its title links to its board');
	// the movie rendering in the background: progress while it runs, then its poster, no reload
	const conceptCard = page.locator('article[aria-label="Movie: From a concept"]');
	const seen = await conceptCard.getAttribute('data-status');
	if (['rendering', 'assembling'].includes(seen)) {
		t.eq(await conceptCard.getByRole('progressbar', { name: 'Progress of From a concept' }).count(), 1,
			`the rendering movie (${seen}) has a progress bar`);
	}
	t.ok(await waitFor(async () => (await conceptCard.getAttribute('data-status')) === 'succeeded', { timeout: 150000, every: 500 }),
		`the list follows the render to "succeeded" without a reload (it was ${seen} when the list opened)`);
	const posterImg = conceptCard.locator('img[alt="Poster of From a concept"]');
	await posterImg.waitFor();
	t.ok(await posterImg.evaluate((img) => img.complete && img.naturalWidth > 0 && img.src.startsWith('blob:')),
		'the finished movie shows its poster (a blob: URL of /poster)');
	t.ok(/100 %/.test(await conceptCard.textContent()), 'and 100 %');

	// delete one through the dialog
	const filler = page.locator('article[aria-label="Movie: Filler 19"]');
	const fillerId = await filler.getAttribute('data-movie-id');
	await filler.getByRole('button', { name: 'Delete' }).click();
	const dialog = page.locator('dialog.confirm');
	await dialog.waitFor();
	await dialog.getByRole('button', { name: 'Delete' }).click();
	await filler.waitFor({ state: 'detached' });
	t.eq(await cards.count(), 22, 'Delete (confirmed) takes the card away');
	t.eq((await t.apiAs(token, 'GET', `/api/v1/movies/${fillerId}`)).status, 404, '… and the movie is gone from the API');
	await page.getByRole('button', { name: 'Delete movie Filler 18' }).click();
	await dialog.waitFor();
	await dialog.getByRole('button', { name: 'Cancel' }).click();
	await dialog.waitFor({ state: 'detached' });
	t.eq((await t.apiAs(token, 'GET', '/api/v1/movies?limit=100')).body.items.length, 22, 'Cancel in the dialog keeps the movie');
	await page.evaluate(() => window.scrollTo(0, 0));
	await t.shot(page, 'movies-list');
	await checkScreen(t, page, 'movie list, desktop');

	// polling: a movie still planning when the list opens turns into a draft on its own
	const fresh = await t.apiAs(token, 'POST', '/api/v1/movies', { title: 'Planned while watched', concept: 'a snail crosses a garden path', planner: 'local', preset: 'commercial', provider: 'local' });
	t.eq(fresh.status, 201, 'one more movie from a concept through the API');
	await page.reload();
	const freshCard = page.locator('article[aria-label="Movie: Planned while watched"]');
	await freshCard.waitFor();
	t.ok(await waitFor(async () => (await freshCard.getAttribute('data-status')) === 'draft', { timeout: 30000 }),
		`the list follows it to draft without a reload (it started as ${fresh.body.status})`);

	// ---- without GET /api/v1/providers (an older server, or it fails): the form says why and
	// still works, with the server's defaults and no estimate
	t.allowConsole(/status of 503/);
	await page.route('**/api/v1/providers', (route) => route.fulfill({
		status: 503, contentType: 'application/problem+json', headers: { 'Retry-After': '5' },
		body: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'the provider list is down for a test' }),
	}));
	await openForm(page);
	t.ok(/the provider list is down for a test/.test(await page.locator('.movie-new-form .notice').textContent()),
		'no provider list: the API\'s detail is shown in the form');
	t.ok(/No estimate/.test(await estimateText(page)), `… and the estimate says there is none: "${await estimateText(page)}"`);
	await page.getByLabel('Title', { exact: true }).fill('Without providers');
	await page.getByRole('textbox', { name: 'Concept', exact: true }).fill('A kite in the wind');
	await page.getByRole('button', { name: 'Create movie' }).click();
	await page.waitForURL(ID_URL);
	const noProv = await t.apiAs(token, 'GET', `/api/v1/movies/${ID_URL.exec(page.url())[1]}`);
	t.eq([noProv.status, noProv.body.provider], [200, providers.body.default], '… and a movie is still made, with the server\'s default provider');
	await page.unroute('**/api/v1/providers');

	// ---- phone
	const phone = await t.page({ phone: true });
	await t.signIn(phone, who.email, who.password);
	await phone.waitForURL(/#\/videos/);
	await phone.goto(`${BASE}/#/movies`);
	await phone.locator('article.movie-card').first().waitFor();
	await checkScreen(t, phone, 'movie list, phone');
	await t.shot(phone, 'movies-list-phone');
	await openForm(phone);
	await checkScreen(t, phone, 'create (concept), phone');
	await phone.getByRole('radio', { name: 'Scenes written by hand', exact: true }).check();
	await phone.getByLabel('Scene 1 prompt').fill('A very long prompt without spaces: ' + 'x'.repeat(300));
	await checkScreen(t, phone, 'create (scenes by hand), phone');
	await t.shot(phone, 'movie-new-phone');
}
