// What the movie screens share: the presets with their scene ranges, the transitions the
// server accepts (src/vg_assemble.c: cut and ffmpeg's xfade names), labelled checkboxes, and
// the editor of one hand-written scene (prompt, duration, title, camera, caption,
// transition) whose controls are named as the API names their errors.
import { field, h, select, uid } from './ui.js';

export const PRESETS = [
	{ id: 'commercial', name: 'Commercial', min: 3, max: 5 },
	{ id: 'short-film', name: 'Short film', min: 5, max: 10 },
	{ id: 'music-video', name: 'Music video', min: 8, max: 15 },
	{ id: 'story', name: 'Story', min: 10, max: 20 },
	{ id: 'feature', name: 'Feature', min: 20, max: 50 },
];
export const DEFAULT_PRESET = 'short-film';

export function presetById(id) {
	return PRESETS.find((p) => p.id === id) || null;
}

// The first five are the ones API.md names; the rest are more of ffmpeg's xfade transitions
// the server accepts.
export const TRANSITIONS = [
	['cut', 'Cut'],
	['fade', 'Fade'],
	['dissolve', 'Dissolve'],
	['wipeleft', 'Wipe left'],
	['slideright', 'Slide right'],
	['wiperight', 'Wipe right'],
	['slideleft', 'Slide left'],
	['fadeblack', 'Fade through black'],
	['fadewhite', 'Fade through white'],
	['circleopen', 'Circle open'],
	['circleclose', 'Circle close'],
	['radial', 'Radial'],
	['pixelize', 'Pixelize'],
	['zoomin', 'Zoom in'],
];

export const DURATIONS = [4, 6, 8];
export const SCENE_PROMPT_MAX = 2000;
export const SCENE_TEXT_MAX = 200;

// checkField('Continuity', input, {hint}): a checkbox with its label after it; the error
// line for showError as field() makes it.
export function checkField(label, input, opts = {}) {
	if (!input.id) input.id = uid('f');
	const errId = uid('e');
	input.dataset.errorId = errId;
	let hint = null;
	if (opts.hint) {
		hint = h('small', { id: uid('h'), class: 'hint' }, opts.hint);
		input.setAttribute('aria-describedby', hint.id);
	}
	return h('div', { class: `field check-field ${opts.class || ''}`.trim() },
		h('div', { class: 'check' }, input, h('label', { for: input.id }, label)),
		hint,
		h('small', { id: errId, class: 'field-error', hidden: true }));
}

// sceneEditor(index, values, {onRemove}): one scene of a hand-written list. index is 0-based
// (the API's errors say scenes[0].prompt for scene 1); setIndex() renumbers the labels and
// names after a removal. value() is the scene body with only the fields set (prompt always,
// so an empty one gets its own error under it).
export function sceneEditor(index, values = {}, opts = {}) {
	const prompt = h('textarea', { rows: 3, maxlength: SCENE_PROMPT_MAX, value: values.prompt || '' });
	const duration = select('', [['', 'The movie\'s scene duration'], ...DURATIONS.map((d) => [d, `${d} s`])],
		values.duration_seconds || '');
	const title = h('input', { type: 'text', maxlength: SCENE_TEXT_MAX, value: values.title || '', autocomplete: 'off' });
	const camera = h('input', { type: 'text', maxlength: SCENE_TEXT_MAX, value: values.camera || '', autocomplete: 'off', placeholder: 'e.g. slow dolly in' });
	const caption = h('input', { type: 'text', maxlength: SCENE_TEXT_MAX, value: values.caption || '', autocomplete: 'off' });
	const transition = select('', [['', 'The movie\'s transition'], ...TRANSITIONS], values.transition || '');
	const remove = h('button', { type: 'button', class: 'secondary small scene-remove' }, 'Remove scene');
	const legend = h('legend', {});
	const fields = {
		prompt: field('', prompt, { hint: `What happens, who and where; 1 to ${SCENE_PROMPT_MAX} characters.` }),
		duration_seconds: field('', duration),
		title: field('', title),
		camera: field('', camera),
		caption: field('', caption, { hint: 'Shown as a subtitle during the scene.' }),
		transition: field('', transition),
	};
	const controls = { prompt, duration_seconds: duration, title, camera, caption, transition };
	const labels = { prompt: 'prompt', duration_seconds: 'duration', title: 'title', camera: 'camera', caption: 'caption', transition: 'transition' };
	const el = h('fieldset', { class: 'scene-row' }, legend,
		fields.prompt,
		h('div', { class: 'grid grid-3 scene-row-grid' },
			fields.duration_seconds, fields.title, fields.camera, fields.caption, fields.transition),
		h('div', { class: 'actions scene-row-actions' }, remove));
	if (opts.onRemove) remove.addEventListener('click', () => opts.onRemove(editor));

	const editor = {
		el,
		controls,
		index,
		setIndex(i) {
			editor.index = i;
			const n = i + 1;
			legend.textContent = `Scene ${n}`;
			for (const [key, control] of Object.entries(controls)) {
				control.name = `scenes[${i}].${key}`;
				fields[key].querySelector('label').textContent = `Scene ${n} ${labels[key]}`;
			}
			remove.textContent = `Remove scene ${n}`;
		},
		setRemovable(on) { remove.disabled = !on; },
		duration() { return duration.value ? Number(duration.value) : null; },
		value() {
			const s = { prompt: prompt.value.trim() };
			if (duration.value) s.duration_seconds = Number(duration.value);
			for (const [key, c] of [['title', title], ['camera', camera], ['caption', caption]]) {
				if (c.value.trim()) s[key] = c.value.trim();
			}
			if (transition.value) s.transition = transition.value;
			return s;
		},
		focus() { prompt.focus(); },
	};
	editor.setIndex(index);
	return editor;
}
