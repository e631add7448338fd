// The add/edit form of one scene of a movie, in a modal <dialog>: prompt, duration, title,
// camera, caption, transition (and position when adding). POST …/scenes or PATCH
// …/scenes/{id}; an edit sends only what changed (an emptied title, camera or caption
// clears it). The API's errors show in the form, each under its field.
import { api } from './api.js';
import { busy, field, h, select, showError, uid } from './ui.js';

// The transitions offered: cut (a hard cut) and ffmpeg xfade names the API accepts.
export const TRANSITIONS = [
	['cut', 'Cut'], ['fade', 'Fade'], ['dissolve', 'Dissolve'], ['wipeleft', 'Wipe left'],
	['slideright', 'Slide right'], ['wiperight', 'Wipe right'], ['slideleft', 'Slide left'],
	['fadeblack', 'Fade through black'], ['fadewhite', 'Fade through white'],
	['circleopen', 'Circle open'], ['circleclose', 'Circle close'], ['radial', 'Radial'],
	['pixelize', 'Pixelize'], ['zoomin', 'Zoom in'],
];

// transitionOptions(current, empty): [value, text] pairs, the current value always present.
export function transitionOptions(current, empty) {
	const list = [...TRANSITIONS];
	if (current && !list.some(([v]) => v === current)) list.push([current, current]);
	return empty ? [['', empty], ...list] : list;
}

function textOrNull(v) {
	const s = (v || '').trim();
	return s === '' ? null : s;
}

// openSceneEditor({movie, scene, durations, onSaved}): scene null = a new scene. onSaved(movie)
// gets the server's answer (the whole movie). Resolves when the dialog closes.
export function openSceneEditor({ movie, scene, durations, onSaved }) {
	const adding = !scene;
	const n = movie.scenes.length;
	const ds = (durations && durations.length ? durations : [4, 6, 8]).map(Number);
	const dflt = scene ? scene.duration_seconds : (ds.includes(movie.scene_duration_seconds) ? movie.scene_duration_seconds : ds[ds.length - 1]);
	const durOpts = ds.map((d) => [d, `${d} s`]);
	if (!ds.includes(Number(dflt))) durOpts.push([dflt, `${dflt} s`]);

	const prompt = h('textarea', { name: 'prompt', rows: 4, maxlength: 2000, required: true }, '');
	prompt.value = scene ? scene.prompt || '' : '';
	const duration = select('duration_seconds', durOpts, dflt);
	const title = h('input', { type: 'text', name: 'title', maxlength: 200, value: scene ? scene.title || '' : '' });
	const camera = h('input', { type: 'text', name: 'camera', maxlength: 200, value: scene ? scene.camera || '' : '' });
	const caption = h('input', { type: 'text', name: 'caption', maxlength: 200, value: scene ? scene.caption || '' : '' });
	const transition = select('transition',
		transitionOptions(scene && scene.transition, `The movie's (${movie.transition || 'cut'})`),
		scene ? scene.transition || '' : '');
	const position = adding
		? h('input', { type: 'number', name: 'position', min: 1, max: n + 1, step: 1, inputmode: 'numeric', placeholder: String(n + 1) })
		: null;
	const submit = h('button', { type: 'submit' }, adding ? 'Add scene' : 'Save scene');
	const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
	const headingId = uid('dlg');
	const heading = adding ? 'Add a scene' : `Edit scene ${scene.position}`;
	const form = h('form', { class: 'scene-form', novalidate: true },
		h('h2', { id: headingId }, heading),
		field('Prompt', prompt, { hint: 'What the scene shows, 1 to 2000 characters.' }),
		h('div', { class: 'grid grid-2' },
			field('Duration', duration),
			adding ? field('Position', position, { hint: `1 to ${n + 1}; empty: at the end.` }) : field('Camera', camera, { hint: 'e.g. "slow dolly in".' })),
		adding ? field('Camera', camera, { hint: 'e.g. "slow dolly in".' }) : null,
		h('div', { class: 'grid grid-2' },
			field('Title', title, { hint: 'Shown in the subtitles.' }),
			field('Caption', caption, { hint: 'Subtitle text; the title when empty.' })),
		field('Transition', transition, { hint: 'Into the next scene.' }),
		!adding && scene.video_id
			? h('p', { class: 'hint' }, movie.continuity
				? 'Changing the prompt, duration or camera needs a new take of this scene and of the scenes after it (continuity).'
				: 'Changing the prompt, duration or camera needs a new take of this scene.')
			: null,
		h('div', { class: 'actions' }, submit, cancel));
	const dlg = h('dialog', { class: 'scene-dialog', 'aria-labelledby': headingId }, form);

	function body() {
		const b = {};
		const p = prompt.value.trim();
		const d = Number(duration.value);
		if (adding) {
			b.prompt = p;
			b.duration_seconds = d;
			for (const [k, el] of [['title', title], ['camera', camera], ['caption', caption]]) {
				const v = textOrNull(el.value);
				if (v !== null) b[k] = v;
			}
			if (transition.value) b.transition = transition.value;
			if (position.value.trim() !== '') b.position = Number(position.value);
			return b;
		}
		if (p !== scene.prompt) b.prompt = p;
		if (d !== scene.duration_seconds) b.duration_seconds = d;
		for (const [k, el] of [['title', title], ['camera', camera], ['caption', caption]]) {
			const v = textOrNull(el.value);
			if (v !== (scene[k] || null)) b[k] = v;
		}
		const t = transition.value || null;
		if (t !== (scene.transition || null)) b.transition = t;
		return b;
	}

	return new Promise((resolve) => {
		form.addEventListener('submit', async (ev) => {
			ev.preventDefault();
			const b = body();
			if (!adding && Object.keys(b).length === 0) {
				dlg.close();
				return;
			}
			const base = `/api/v1/movies/${encodeURIComponent(movie.id)}/scenes`;
			try {
				const res = await busy(submit, adding
					? api('POST', base, { json: b })
					: api('PATCH', `${base}/${encodeURIComponent(scene.id)}`, { json: b }));
				dlg.close();
				// the new scene: the one of the answer that the movie did not have
				const known = new Set(movie.scenes.map((s) => s.id));
				const saved = adding ? res.scenes.find((s) => !known.has(s.id)) : res.scenes.find((s) => s.id === scene.id);
				onSaved(res, saved || null);
			} catch (e) {
				showError(e, form);
			}
		});
		cancel.addEventListener('click', () => dlg.close());
		dlg.addEventListener('close', () => {
			dlg.remove();
			resolve();
		});
		document.body.append(dlg);
		dlg.showModal();
		prompt.focus();
	});
}
