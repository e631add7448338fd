// An upload control for POST /api/v1/files: choose (or drop) files, each is sent at once as
// raw bytes with its own Content-Type, and shown with a preview (the local file, so no
// second download), its size, and a Remove button. ids() gives the uploaded file ids in
// order. The server checks the type from the bytes; its 415/413 shows under the control.
import { api } from './api.js';
import { fmtBytes, h, uid } from './ui.js';

const IMAGE_TYPES = 'image/png,image/jpeg,image/webp';
const AUDIO_TYPES = 'audio/mpeg,audio/wav,audio/ogg';

// uploadField({name, label, kind: 'image'|'audio', max: 1, hint}, scope):
//   {element, ids(), clear(), busy()}; name is the API field the ids go to (its errors land
//   under this control).
export function uploadField(opts, scope) {
	const max = opts.max || 1;
	const input = h('input', {
		type: 'file', id: uid('up'), name: opts.name,
		accept: opts.kind === 'audio' ? AUDIO_TYPES : IMAGE_TYPES, multiple: max > 1,
	});
	const errId = uid('e');
	input.dataset.errorId = errId;
	const list = h('ul', { class: 'uploads', 'aria-live': 'polite' });
	const message = h('small', { id: errId, class: 'field-error', hidden: true });
	const items = []; // {id, li, pending}

	function fail(text) {
		message.textContent = text;
		message.hidden = false;
		input.setAttribute('aria-invalid', 'true');
	}

	async function add(file) {
		if (items.length >= max) {
			fail(`At most ${max} file${max > 1 ? 's' : ''} here: remove one first.`);
			return;
		}
		const local = URL.createObjectURL(file);
		scope.urls.add(local);
		const preview = opts.kind === 'audio'
			? h('audio', { src: local, controls: true, preload: 'metadata', 'aria-label': `Preview of ${file.name}` })
			: h('img', { src: local, alt: `Preview of ${file.name}`, class: 'upload-preview' });
		const state = h('span', { class: 'muted' }, `${fmtBytes(file.size)} · uploading…`);
		const remove = h('button', { type: 'button', class: 'secondary', 'aria-label': `Remove ${file.name}` }, 'Remove');
		const li = h('li', { class: 'upload' }, preview, h('div', {}, h('span', { class: 'upload-name' }, file.name), ' ', state), remove);
		const item = { id: null, li, pending: null };
		items.push(item);
		list.append(li);
		remove.addEventListener('click', () => {
			items.splice(items.indexOf(item), 1);
			li.remove();
			input.focus();
		});
		item.pending = api('POST', '/api/v1/files', {
			body: file, headers: { 'Content-Type': file.type || 'application/octet-stream' }, signal: scope.signal,
		}).then((f) => {
			item.id = f.id;
			const dims = f.width ? ` · ${f.width}×${f.height}` : (f.duration_seconds ? ` · ${Math.round(f.duration_seconds)} s` : '');
			state.textContent = `${fmtBytes(f.size_bytes)}${dims} · uploaded`;
		}).catch((e) => {
			if (e.name === 'AbortError') return;
			items.splice(items.indexOf(item), 1);
			li.remove();
			fail(`${file.name}: ${e.detail || e.message}`);
		});
	}

	input.addEventListener('change', () => {
		message.hidden = true;
		input.removeAttribute('aria-invalid');
		for (const f of input.files) add(f);
		input.value = '';
	});

	const element = h('div', { class: 'field upload-field' },
		h('label', { for: input.id }, opts.label),
		input,
		opts.hint ? h('small', { class: 'hint' }, opts.hint) : null,
		message,
		list);
	return {
		element,
		// waits for uploads under way; the ids of those that succeeded, in order
		async ids() {
			await Promise.all(items.map((i) => i.pending));
			return items.filter((i) => i.id).map((i) => i.id);
		},
		busy() { return items.some((i) => !i.id); },
		clear() {
			items.length = 0;
			list.replaceChildren();
		},
	};
}
