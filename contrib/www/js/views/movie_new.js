// #/movies/new: a movie from a concept (the planner writes the scenes), a script (split into
// scenes) or scenes written by hand, with its look, length, provider and extras, and a live
// cost estimate from the prices of GET /api/v1/providers. POST /api/v1/movies gets only the
// fields that are set; the server's field errors land under their controls (scene rows are
// named scenes[i].field as the API names them).
import { api } from '../api.js';
import { go } from '../app.js';
import {
	estimate, estimateText, fmtPrice, loadProviders, modelFor, providerById,
} from '../estimate.js';
import {
	DEFAULT_PRESET, DURATIONS, PRESETS, TRANSITIONS, checkField, presetById, sceneEditor,
} from '../movie_form.js';
import { busy, clearErrors, clearOnEdit, field, h, mount, select, showError } from '../ui.js';
import { uploadField } from '../upload.js';

const MODES = [
	['concept', 'Concept', 'Your idea in a few sentences; the planner writes the scenes.'],
	['script', 'Script', 'Your own script; it is split into scenes.'],
	['scenes', 'Scenes written by hand', 'Write each scene\'s prompt yourself.'],
];
const MAX_SCENES = 50;
const START_ROWS = 3;

function setOptions(sel, options, keep) {
	const want = keep !== undefined ? keep : sel.value;
	sel.replaceChildren(...options.map(([v, text]) => h('option', { value: v }, text)));
	if (options.some(([v]) => String(v) === String(want))) sel.value = String(want);
}

export default async function render(main, params, scope) {
	const [stylesRes, providersRes] = await Promise.allSettled([
		api('GET', '/api/v1/styles', { signal: scope.signal }),
		loadProviders(scope.signal),
	]);
	const styles = stylesRes.status === 'fulfilled'
		? (stylesRes.value.items || []).filter((s) => s.kind === 'movie' || s.kind === 'both') : [];
	const providers = providersRes.status === 'fulfilled' ? providersRes.value : null;
	const providersError = providersRes.status === 'rejected' ? providersRes.reason : null;
	if (providersError && providersError.name === 'AbortError') return;
	const notices = [];
	if (stylesRes.status === 'rejected') {
		notices.push(`The styles could not be loaded (${stylesRes.reason.detail || stylesRes.reason.message}): the movie gets the default style.`);
	}
	if (providersError) {
		notices.push(`The providers and their prices could not be loaded (${providersError.detail || providersError.message}): the server picks its default provider and model, and there is no estimate.`);
	}

	let mode = 'concept';

	// ---- the story: title, how to start, concept / script / scenes
	const title = h('input', { type: 'text', name: 'title', maxlength: 200, required: true, autocomplete: 'off' });
	const radios = MODES.map(([value, label, hint]) => {
		const input = h('input', { type: 'radio', name: 'source', value, checked: value === mode, id: `movie-source-${value}` });
		return h('div', { class: 'source-option' },
			input,
			h('label', { for: input.id }, label),
			h('small', { class: 'hint' }, hint));
	});
	const howTo = h('fieldset', { class: 'source-group', role: 'radiogroup', 'aria-labelledby': 'movie-source-legend' },
		h('legend', { id: 'movie-source-legend' }, 'How to start'),
		h('div', { class: 'source-options' }, radios));

	const concept = h('textarea', { name: 'concept', rows: 5, maxlength: 4000 });
	const conceptField = field('Concept', concept, { hint: 'The idea, the people, the mood: up to 4000 characters.' });
	const script = h('textarea', { name: 'script', rows: 10, maxlength: 20000 });
	const scriptField = field('Script', script, { hint: 'Up to 20000 characters. Blank lines or scene headings (INT./EXT.) mark where scenes begin.' });

	let plannerField = null;
	let planner = null;
	if (providers && providers.planner === 'gemini') {
		planner = select('planner', [['gemini', 'Gemini (an LLM writes the scenes)'], ['local', 'Local (an outline without an LLM)']], 'gemini');
		plannerField = field('Planner', planner, { hint: 'Who turns the concept or script into scenes.' });
	} else if (providers) {
		plannerField = h('p', { class: 'hint planner-note' }, 'The local planner writes the scenes (no LLM is configured on this server).');
	}

	const rows = [];
	const rowList = h('div', { class: 'scene-rows' });
	const addScene = h('button', { type: 'button', class: 'secondary' }, 'Add scene');
	const scenesSection = h('div', { class: 'scenes-by-hand' },
		h('p', { class: 'hint' }, 'Each scene becomes one clip; they play in this order. You can still reorder and edit them on the movie\'s board.'),
		rowList,
		h('div', { class: 'actions' }, addScene));

	function renumber() {
		rows.forEach((r, i) => {
			r.setIndex(i);
			r.setRemovable(rows.length > 1);
		});
		addScene.disabled = rows.length >= MAX_SCENES;
	}

	function removeRow(row) {
		const i = rows.indexOf(row);
		if (i < 0 || rows.length <= 1) return;
		clearErrors(form);
		rows.splice(i, 1);
		row.el.remove();
		renumber();
		(rows[i] || rows[i - 1]).focus();
		update();
	}

	function addRow(values) {
		const row = sceneEditor(rows.length, values, { onRemove: removeRow });
		rows.push(row);
		rowList.append(row.el);
		renumber();
		return row;
	}
	for (let i = 0; i < START_ROWS; i++) addRow();
	addScene.addEventListener('click', () => {
		if (rows.length >= MAX_SCENES) return;
		clearErrors(form);
		addRow().focus();
		update();
	});

	// ---- look and length
	const preset = select('preset', PRESETS.map((p) => [p.id, `${p.name} (${p.min}–${p.max} scenes)`]), DEFAULT_PRESET);
	const sceneCount = h('input', { type: 'number', name: 'scene_count', inputmode: 'numeric', step: 1 });
	const countHint = h('small', { class: 'hint' });
	const sceneCountField = field('Scene count', sceneCount);
	sceneCountField.querySelector('.field-error').before(countHint);
	countHint.id = `${sceneCount.id}-hint`;
	sceneCount.setAttribute('aria-describedby', countHint.id);
	const sceneDuration = select('scene_duration_seconds', DURATIONS.map((d) => [d, `${d} s`]), 8);

	const styleSel = select('style', styles.length
		? styles.map((s) => [s.id, s.name])
		: [['', 'Cinematic (the default)']], 'cinematic');
	const styleHint = h('small', { class: 'hint' });
	const styleField = field('Style', styleSel);
	styleField.querySelector('.field-error').before(styleHint);
	styleHint.id = `${styleSel.id}-hint`;
	styleSel.setAttribute('aria-describedby', styleHint.id);
	function syncStyleHint() {
		const s = styles.find((x) => x.id === styleSel.value);
		styleHint.textContent = s ? (s.description || '') : '';
	}

	const aspect = select('aspect_ratio', [['16:9', '16:9 (landscape)'], ['9:16', '9:16 (portrait)']], '16:9');
	const resolution = select('resolution', [['720p', '720p'], ['1080p', '1080p']], '720p');
	const provider = providers
		? select('provider', providers.items.map((p) => [p.id, p.id === providers.default ? `${p.id} (default)` : p.id]), providers.default)
		: select('provider', [['', 'The server\'s default']], '');
	const model = select('model', [['', 'The provider\'s default']], '');
	const transition = select('transition', TRANSITIONS, 'cut');

	function syncModels() {
		const p = providerById(providers, provider.value);
		if (!p) return;
		setOptions(model, (p.models || []).map((m) => [m.id,
			`${m.id}${m.id === p.default_model ? ' (default)' : ''} · ${fmtPrice(Number(m.price_usd_per_second) || 0)}`]),
		p.default_model);
	}

	// the formats and lengths the chosen model makes
	function syncFormat() {
		const m = modelFor(providers, provider.value, model.value);
		if (!m) return;
		const res = (m.resolutions || ['720p', '1080p']);
		setOptions(resolution, res.map((r) => [r, r]));
		const ars = (m.aspect_ratios || ['16:9', '9:16']);
		setOptions(aspect, ars.map((a) => [a, a === '16:9' ? '16:9 (landscape)' : a === '9:16' ? '9:16 (portrait)' : a]));
		const ds = DURATIONS.filter((d) => !m.durations || m.durations.includes(d));
		setOptions(sceneDuration, ds.map((d) => [d, `${d} s`]));
	}

	function syncPreset() {
		const p = presetById(preset.value) || presetById(DEFAULT_PRESET);
		sceneCount.min = String(p.min);
		sceneCount.max = String(p.max);
		const n = Number(sceneCount.value);
		if (!sceneCount.value || !Number.isInteger(n) || n < p.min || n > p.max) sceneCount.value = String(p.min);
		countHint.textContent = `${p.name}: ${p.min} to ${p.max} scenes.`;
	}

	// ---- extras
	const continuity = h('input', { type: 'checkbox', name: 'continuity', checked: true });
	const titleCard = h('input', { type: 'checkbox', name: 'title_card' });
	const characters = uploadField({
		name: 'character_image_ids', label: 'Characters', kind: 'image', max: 3,
		hint: 'Up to 3 pictures of the people or things in every scene (PNG, JPEG or WebP), used as reference images so they look the same throughout.',
	}, scope);
	const soundtrack = uploadField({
		name: 'soundtrack_id', label: 'Soundtrack', kind: 'audio', max: 1,
		hint: 'MP3, WAV or Ogg, mixed under the whole film.',
	}, scope);
	const budget = h('input', { type: 'number', name: 'budget_usd', min: 0.01, step: 0.01, inputmode: 'decimal' });

	// ---- the estimate
	const output = h('output', { class: 'estimate', 'aria-live': 'polite' });
	const note = h('p', { class: 'estimate-note hint', hidden: true });

	function sceneDurations() {
		const d = Number(sceneDuration.value) || 8;
		if (mode === 'scenes') return rows.map((r) => r.duration() || d);
		const p = presetById(preset.value) || presetById(DEFAULT_PRESET);
		let n = Number(sceneCount.value);
		if (!Number.isInteger(n) || n < p.min || n > p.max) n = p.min;
		return Array(n).fill(d);
	}

	function update() {
		const ds = sceneDurations();
		const scenes = `${ds.length} scene${ds.length === 1 ? '' : 's'}`;
		if (!providers) {
			output.textContent = `${scenes} · No estimate: ${providersError ? (providersError.detail || providersError.message) : 'no prices'}`;
			output.classList.remove('over');
			return;
		}
		const m = modelFor(providers, provider.value, model.value);
		const { text, over } = estimateText(estimate(m, resolution.value, ds), budget.value);
		output.textContent = `${scenes} · ${text}`;
		output.classList.toggle('over', over);
		output.dataset.over = over ? 'true' : 'false';
		// a model that makes 1080p only at one length
		const lo = m && m.long_only_duration;
		if (lo && resolution.value === '1080p' && ds.some((d) => d !== lo)) {
			note.textContent = `${m.id} makes 1080p video only ${lo} s long: choose ${lo} s scenes or 720p.`;
			note.hidden = false;
		} else {
			note.hidden = true;
		}
	}

	function setMode(next) {
		mode = next;
		conceptField.hidden = mode !== 'concept';
		scriptField.hidden = mode !== 'script';
		if (plannerField) plannerField.hidden = mode === 'scenes';
		scenesSection.hidden = mode !== 'scenes';
		sceneCountField.hidden = mode === 'scenes';
		update();
	}

	// ---- the form
	const submit = h('button', { type: 'submit' }, 'Create movie');
	const form = h('form', { class: 'movie-new-form', novalidate: true },
		notices.length ? h('div', { class: 'notice', role: 'alert' }, notices.map((n) => h('p', {}, n))) : null,
		h('section', { class: 'card movie-new-story', 'aria-labelledby': 'mn-story' },
			h('h2', { id: 'mn-story' }, 'The story'),
			field('Title', title, { hint: '1 to 200 characters.' }),
			howTo,
			conceptField,
			scriptField,
			plannerField,
			scenesSection),
		h('section', { class: 'card movie-new-look', 'aria-labelledby': 'mn-look' },
			h('h2', { id: 'mn-look' }, 'Look and length'),
			h('div', { class: 'grid grid-3' },
				field('Preset', preset),
				sceneCountField,
				field('Scene duration', sceneDuration, { hint: 'Seconds per scene, unless a scene says otherwise.' })),
			h('div', { class: 'grid grid-3' },
				styleField,
				field('Aspect ratio', aspect),
				field('Resolution', resolution)),
			h('div', { class: 'grid grid-3' },
				field('Provider', provider, { hint: providers ? 'The local provider makes free preview clips.' : null }),
				field('Model', model),
				field('Transition', transition, { hint: 'How the scenes join (a scene can choose its own).' }))),
		h('section', { class: 'card movie-new-extras', 'aria-labelledby': 'mn-extras' },
			h('h2', { id: 'mn-extras' }, 'Extras'),
			h('div', { class: 'grid grid-2' },
				checkField('Continuity', continuity, { hint: 'Each scene starts from the last frame of the scene before, so people and places carry over; scenes then render one after another.' }),
				checkField('Title card', titleCard, { hint: 'A few seconds with the title before scene 1.' })),
			h('div', { class: 'grid grid-2' }, characters.element, soundtrack.element),
			field('Budget (USD)', budget, { hint: 'Optional. A render whose estimate is above it is refused, and rendering stops before spending more.' })),
		h('div', { class: 'card movie-new-submit' },
			output,
			note,
			h('div', { class: 'actions' }, submit, h('a', { href: '#/movies', class: 'button secondary' }, 'Cancel'))));

	async function body() {
		const b = { title: title.value.trim() };
		// the chosen source always goes (even empty), so its error lands under it
		if (mode === 'concept') b.concept = concept.value.trim();
		else if (mode === 'script') b.script = script.value.trim();
		else b.scenes = rows.map((r) => r.value());
		if (mode !== 'scenes') {
			if (planner && planner.value) b.planner = planner.value;
			if (sceneCount.value !== '') b.scene_count = Number(sceneCount.value);
		}
		b.preset = preset.value;
		b.scene_duration_seconds = Number(sceneDuration.value);
		if (styleSel.value) b.style = styleSel.value;
		b.aspect_ratio = aspect.value;
		b.resolution = resolution.value;
		if (provider.value) b.provider = provider.value;
		if (model.value) b.model = model.value;
		b.continuity = continuity.checked;
		if (transition.value && transition.value !== 'cut') b.transition = transition.value;
		b.title_card = titleCard.checked;
		if (budget.value !== '') b.budget_usd = Number(budget.value);
		const chars = await characters.ids();
		if (chars.length) b.character_image_ids = chars;
		const [track] = await soundtrack.ids();
		if (track) b.soundtrack_id = track;
		return b;
	}

	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		clearErrors(form);
		try {
			const movie = await busy(submit, body().then((b) => api('POST', '/api/v1/movies', { json: b, signal: scope.signal })));
			go(`#/movies/${encodeURIComponent(movie.id)}`);
		} catch (e) {
			if (e.name === 'AbortError') return;
			showError(e, form);
		}
	});
	for (const r of form.querySelectorAll('input[name="source"]')) {
		r.addEventListener('change', () => { if (r.checked) setMode(r.value); });
	}
	provider.addEventListener('change', () => {
		syncModels();
		syncFormat();
		update();
	});
	model.addEventListener('change', () => {
		syncFormat();
		update();
	});
	preset.addEventListener('change', () => {
		syncPreset();
		update();
	});
	styleSel.addEventListener('change', syncStyleHint);
	form.addEventListener('input', update);
	form.addEventListener('change', update);
	clearOnEdit(form);

	syncModels();
	syncFormat();
	syncPreset();
	syncStyleHint();
	setMode(mode);

	const heading = h('h1', { tabindex: -1 }, 'New movie');
	mount(main, h('div', { class: 'movie-new' },
		h('p', { class: 'crumbs' }, h('a', { href: '#/movies' }, 'Movies'), ' / New movie'),
		heading,
		form));
	// the heading takes the focus, so Tab goes on to the title
	main.dataset.focusOnRender = 'no';
	heading.focus({ preventScroll: true });
}
