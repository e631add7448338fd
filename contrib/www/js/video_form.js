// The form of POST /api/v1/videos: every field of the API, the choices narrowed to what the
// chosen provider's model can make (GET /api/v1/providers), the style's description, image
// uploads with previews, the estimated cost. One Idempotency-Key per state of the form: a
// double click or a retry after a lost answer never makes a second video; any change to the
// form makes the next submit a new request.
import { api } from './api.js';
import { busy, clearErrors, clearOnEdit, field, fmtUsd, h, select, showError } from './ui.js';
import { uploadField } from './upload.js';

const PROMPT_MAX = 2000;
const NEGATIVE_MAX = 1000;
// The API's own choices, for when the providers cannot be read.
const ANY_MODEL = {
	id: '', durations: [4, 6, 8], resolutions: ['720p', '1080p'], aspect_ratios: ['16:9', '9:16'],
	image: true, last_frame: true, max_reference_images: 3, long_only_duration: null,
	price_usd_per_second: null, price_usd_per_second_1080p: null,
};

// crypto.randomUUID needs a secure context; getRandomValues works everywhere.
function newKey() {
	if (crypto.randomUUID) return crypto.randomUUID();
	const b = crypto.getRandomValues(new Uint8Array(16));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	const x = [...b].map((n) => n.toString(16).padStart(2, '0')).join('');
	return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// The options of a <select> anew, keeping the value when it is still offered.
function setOptions(sel, options, want) {
	const keep = options.some(([v]) => String(v) === String(want)) ? String(want) : String(options[0]?.[0] ?? '');
	const same = sel.options.length === options.length &&
		options.every(([v, t], i) => sel.options[i].value === String(v) && sel.options[i].textContent === t);
	if (!same) {
		sel.replaceChildren(...options.map(([v, t]) => h('option', { value: v }, t)));
	}
	sel.value = keep;
	for (const o of sel.options) o.disabled = false;
}

function hintOf(wrap) {
	return wrap.querySelector('.hint');
}

// videoForm(scope, {onCreated(video)}): the form's <section>, ready (styles and providers read).
export async function videoForm(scope, { onCreated } = {}) {
	const [stylesRes, providersRes] = await Promise.allSettled([
		api('GET', '/api/v1/styles', { signal: scope.signal }),
		api('GET', '/api/v1/providers', { signal: scope.signal }),
	]);
	for (const r of [stylesRes, providersRes]) {
		if (r.status === 'rejected' && r.reason && r.reason.name === 'AbortError') throw r.reason;
	}
	const styles = stylesRes.status === 'fulfilled'
		? (stylesRes.value.items || []).filter((s) => s.kind === 'video' || s.kind === 'both') : [];
	const providers = providersRes.status === 'fulfilled' ? providersRes.value : null;
	const providerItems = providers && Array.isArray(providers.items) ? providers.items : [];

	// ---- controls
	const prompt = h('textarea', { name: 'prompt', rows: 4, maxlength: PROMPT_MAX, required: true, autocomplete: 'off' });
	const promptWrap = field('Prompt', prompt, { hint: `0 / ${PROMPT_MAX} characters` });
	const negative = h('textarea', { name: 'negative_prompt', rows: 2, maxlength: NEGATIVE_MAX, autocomplete: 'off' });
	const negativeWrap = field('Negative prompt', negative, { hint: 'What the video should not show (optional).' });
	const enhance = h('input', { type: 'checkbox', name: 'enhance_prompt' });
	const enhanceWrap = providers && providers.enhance_prompt
		? field('Enhance prompt', enhance, { class: 'check enhance-field', hint: 'A text model rewrites the prompt in more detail before the video is made; yours is kept too.' })
		: null;

	const styleSel = select('style', [['', 'None'], ...styles.map((s) => [s.id, s.name || s.id])], '');
	const styleWrap = field('Style', styleSel, { hint: 'No style: the prompt as written.' });
	const styleHint = hintOf(styleWrap);

	const providerSel = select('provider', providerItems.length
		? providerItems.map((p) => [p.id, p.id === providers.default ? `${p.id} (default)` : p.id])
		: [['', 'Server default']], providers ? providers.default : '');
	const modelSel = h('select', { name: 'model' });
	const modelWrap = field('Model', modelSel);
	const modelHint = h('small', { class: 'hint model-hint' });
	modelWrap.insertBefore(modelHint, modelWrap.querySelector('.field-error'));

	const duration = h('select', { name: 'duration_seconds' });
	const durationWrap = field('Duration', duration);
	const durationHint = h('small', { class: 'hint', hidden: true });
	durationWrap.insertBefore(durationHint, durationWrap.querySelector('.field-error'));
	const aspect = h('select', { name: 'aspect_ratio' });
	const resolution = h('select', { name: 'resolution' });
	const seed = h('input', { type: 'text', name: 'seed', inputmode: 'numeric', autocomplete: 'off', placeholder: 'random' });
	const webhook = h('input', { type: 'url', name: 'webhook_url', autocomplete: 'off', placeholder: 'https://…' });

	const firstFrame = uploadField({ name: 'image_id', label: 'First frame', kind: 'image', hint: 'The video starts from this picture (PNG, JPEG or WebP).' }, scope);
	const lastFrame = uploadField({ name: 'last_frame_id', label: 'Last frame', kind: 'image', hint: 'The video ends on this picture. Needs a first frame too.' }, scope);
	const refs = uploadField({ name: 'reference_image_ids', label: 'Reference images', kind: 'image', max: 3, hint: 'Up to 3 pictures of a subject or style to keep.' }, scope);
	const refsHint = refs.element.querySelector('.hint');
	const noImages = h('p', { class: 'muted', hidden: true });

	const estimate = h('output', { class: 'estimate', 'aria-live': 'polite' });
	const submit = h('button', { type: 'submit' }, 'Generate video');

	const problems = [];
	if (stylesRes.status === 'rejected') problems.push(`Styles could not be read: ${stylesRes.reason.detail || stylesRes.reason.message}`);
	if (providersRes.status === 'rejected') problems.push(`Providers could not be read: ${providersRes.reason.detail || providersRes.reason.message} The server's defaults are used.`);

	const form = h('form', { class: 'video-form', novalidate: true, 'aria-labelledby': 'video-form-title' },
		problems.length ? h('div', { class: 'notice', role: 'alert' }, problems.map((p) => h('p', {}, p))) : null,
		promptWrap,
		negativeWrap,
		enhanceWrap,
		styleWrap,
		h('div', { class: 'grid grid-2' }, field('Provider', providerSel), modelWrap),
		h('div', { class: 'grid grid-3' }, durationWrap, field('Aspect ratio', aspect), field('Resolution', resolution)),
		field('Seed', seed, { hint: 'Empty for a random one; the same seed and prompt make the same video. 0 to 4294967295.' }),
		h('fieldset', { class: 'video-images' },
			h('legend', {}, 'Images (optional)'),
			noImages,
			firstFrame.element,
			lastFrame.element,
			refs.element),
		h('details', { class: 'advanced' },
			h('summary', {}, 'Advanced'),
			field('Webhook URL', webhook, { hint: 'Called as the video starts, progresses and ends (https; signed with your webhook secret from the account page).' })),
		h('p', { class: 'estimate-line' }, estimate),
		h('div', { class: 'actions' }, submit));

	// ---- what the chosen model allows
	function currentProvider() {
		return providerItems.find((p) => p.id === providerSel.value) || null;
	}

	function currentModel() {
		const p = currentProvider();
		if (!p) return ANY_MODEL;
		return (p.models || []).find((m) => m.id === modelSel.value) || ANY_MODEL;
	}

	function refCount() {
		return refs.element.querySelectorAll('.uploads > li').length;
	}

	function fillModels() {
		const p = currentProvider();
		const models = p ? (p.models || []) : [];
		setOptions(modelSel, models.length
			? models.map((m) => [m.id, m.id === p.default_model ? `${m.id} (default)` : m.id])
			: [['', 'Provider default']], p ? p.default_model : '');
	}

	function applyModel() {
		const m = currentModel();
		const durs = (m.durations && m.durations.length ? m.durations : ANY_MODEL.durations);
		setOptions(duration, durs.map((d) => [d, `${d} s`]), duration.value || (durs.includes(8) ? 8 : durs[durs.length - 1]));
		const ars = m.aspect_ratios && m.aspect_ratios.length ? m.aspect_ratios : ANY_MODEL.aspect_ratios;
		setOptions(aspect, ars.map((a) => [a, a === '16:9' ? '16:9 wide' : a === '9:16' ? '9:16 tall' : a]), aspect.value || ars[0]);
		const res = m.resolutions && m.resolutions.length ? m.resolutions : ANY_MODEL.resolutions;
		setOptions(resolution, res.map((r) => [r, r]), resolution.value || res[0]);

		// Some models make 1080p, or use reference images, only at one length.
		const refsOn = (m.max_reference_images || 0) > 0 && refCount() > 0;
		const hd = resolution.value === '1080p';
		const only = m.long_only_duration;
		if (only && (hd || refsOn) && durs.includes(only)) {
			duration.value = String(only);
			for (const o of duration.options) o.disabled = o.value !== String(only);
			durationHint.textContent = `${m.id} makes ${hd && refsOn ? '1080p video with reference images' : hd ? '1080p video' : 'video with reference images'} only ${only} s long.`;
			durationHint.hidden = false;
		} else {
			durationHint.hidden = true;
		}

		const image = m.image !== false;
		const last = image && m.last_frame !== false;
		const maxRefs = m.max_reference_images ?? 3;
		firstFrame.element.hidden = !image;
		lastFrame.element.hidden = !last;
		refs.element.hidden = maxRefs <= 0;
		refsHint.textContent = maxRefs > 0
			? `Up to ${maxRefs} picture${maxRefs > 1 ? 's' : ''} of a subject or style to keep.${refCount() > maxRefs ? ` This model takes ${maxRefs}: remove ${refCount() - maxRefs}.` : ''}`
			: '';
		const missing = [!image && 'a first frame', !last && image && 'a last frame', maxRefs <= 0 && 'reference images'].filter(Boolean);
		noImages.textContent = missing.length && m.id ? `${m.id} takes no ${missing.join(', ')}.` : '';
		noImages.hidden = !noImages.textContent;

		const bits = [];
		if (m.id) {
			bits.push(m.audio ? 'with sound' : 'silent');
			const price = Number(m.price_usd_per_second) || 0;
			bits.push(price > 0 ? `${fmtUsd(price)} per second` : 'free');
		}
		modelHint.textContent = bits.join(' · ');
		modelHint.hidden = !bits.length;
		showEstimate();
	}

	function showEstimate() {
		const m = currentModel();
		if (m.price_usd_per_second === null || m.price_usd_per_second === undefined) {
			estimate.textContent = 'Estimated cost: worked out by the server when the video is queued.';
			return;
		}
		const hd = resolution.value === '1080p' && Number(m.price_usd_per_second_1080p) > 0;
		const per = Number(hd ? m.price_usd_per_second_1080p : m.price_usd_per_second) || 0;
		const secs = Number(duration.value) || 0;
		const cost = per * secs;
		estimate.textContent = per > 0
			? `Estimated cost: ${fmtUsd(cost)} (${secs} s × $${per.toFixed(per < 0.1 ? 3 : 2)} per second)`
			: `Estimated cost: ${fmtUsd(0)} (this model is free)`;
	}

	function showStyle() {
		const s = styles.find((x) => x.id === styleSel.value);
		styleHint.textContent = s ? (s.description || s.name) : 'No style: the prompt as written.';
	}

	function countPrompt() {
		const n = prompt.value.length;
		hintOf(promptWrap).textContent = `${n} / ${PROMPT_MAX} characters`;
	}

	providerSel.addEventListener('change', () => {
		fillModels();
		applyModel();
	});
	modelSel.addEventListener('change', applyModel);
	resolution.addEventListener('change', applyModel);
	duration.addEventListener('change', showEstimate);
	styleSel.addEventListener('change', showStyle);
	prompt.addEventListener('input', countPrompt);

	clearOnEdit(form);

	// ---- the idempotency key: kept until the form changes
	let idemKey = null;
	const changed = () => { idemKey = null; };
	form.addEventListener('input', changed);
	form.addEventListener('change', () => {
		changed();
		// an upload added: the reference count may narrow the duration
		queueMicrotask(applyModel);
	});
	form.addEventListener('click', (ev) => {
		// an upload removed (upload.js's Remove buttons)
		if (ev.target.closest('.uploads button')) {
			changed();
			queueMicrotask(applyModel);
		}
	});

	// The body: only the fields the user set (the selects always are); null on a local error.
	async function body() {
		const b = { prompt: prompt.value.trim() };
		if (negative.value.trim()) b.negative_prompt = negative.value.trim();
		if (enhanceWrap && enhance.checked) b.enhance_prompt = true;
		if (styleSel.value) b.style = styleSel.value;
		if (duration.value) b.duration_seconds = Number(duration.value);
		if (aspect.value) b.aspect_ratio = aspect.value;
		if (resolution.value) b.resolution = resolution.value;
		if (providerSel.value) b.provider = providerSel.value;
		if (modelSel.value) b.model = modelSel.value;
		const s = seed.value.trim();
		if (s !== '') {
			if (!/^[+-]?\d+$/.test(s)) {
				return {
					error: {
						detail: 'Some fields are invalid: see the message under each.',
						fieldErrors: [{ field: 'seed', message: 'must be a whole number from 0 to 4294967295, or empty for a random one' }],
					},
				};
			}
			b.seed = Number(s);
		}
		if (!firstFrame.element.hidden) {
			const [id] = await firstFrame.ids();
			if (id) b.image_id = id;
		}
		if (!lastFrame.element.hidden) {
			const [id] = await lastFrame.ids();
			if (id) b.last_frame_id = id;
		}
		if (!refs.element.hidden) {
			const ids = await refs.ids();
			if (ids.length) b.reference_image_ids = ids;
		}
		if (webhook.value.trim()) b.webhook_url = webhook.value.trim();
		return { body: b };
	}

	let sending = false;
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		if (sending) return;
		sending = true;
		clearErrors(form);
		try {
			const video = await busy(submit, (async () => {
				const got = await body();
				if (got.error) throw got.error;
				if (!idemKey) idemKey = newKey();
				return api('POST', '/api/v1/videos', {
					json: got.body, headers: { 'Idempotency-Key': idemKey }, signal: scope.signal,
				});
			})());
			if (onCreated) onCreated(video);
		} catch (e) {
			if (e.name !== 'AbortError') showError(e, form);
		} finally {
			sending = false;
		}
	});

	fillModels();
	applyModel();
	showStyle();
	countPrompt();

	return h('section', { class: 'card video-form-card' },
		h('h2', { id: 'video-form-title' }, 'New video'),
		form);
}
