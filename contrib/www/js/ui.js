// DOM helpers shared by every view. Text always goes in as text nodes (never innerHTML), so
// a prompt or an error message can hold any character without becoming markup.

import { objectUrl } from './api.js';

let idSeq = 0;
export function uid(prefix = 'f') {
	idSeq += 1;
	return `${prefix}-${idSeq}`;
}

// h('button', {type: 'button', class: 'x', onclick: fn, dataset: {id: 1}}, 'text', child…)
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false) continue;
		if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
		else if (k === 'dataset') Object.assign(el.dataset, v);
		else if (k === 'class') el.className = v;
		else if (k === 'value' || k === 'checked' || k === 'selected') el[k] = v;
		else el.setAttribute(k, v === true ? '' : String(v));
	}
	append(el, children);
	return el;
}

function append(el, children) {
	for (const c of children.flat(Infinity)) {
		if (c === null || c === undefined || c === false) continue;
		el.append(c instanceof Node ? c : document.createTextNode(String(c)));
	}
}

// Replaces the children of el.
export function mount(el, ...children) {
	el.replaceChildren();
	append(el, children);
	return el;
}

// field('Prompt', control, {hint}): a labelled control. The control's name is the API field
// (showError puts that field's message under it).
export function field(label, control, opts = {}) {
	if (!control.id) control.id = uid('f');
	const hintId = opts.hint ? uid('h') : null;
	const errId = uid('e');
	if (hintId) control.setAttribute('aria-describedby', hintId);
	control.dataset.errorId = errId;
	return h('div', { class: `field ${opts.class || ''}`.trim() },
		h('label', { for: control.id }, label),
		control,
		opts.hint ? h('small', { id: hintId, class: 'hint' }, opts.hint) : null,
		h('small', { id: errId, class: 'field-error', hidden: true }));
}

export function select(name, options, value, attrs = {}) {
	return h('select', { name, ...attrs },
		options.map((o) => {
			const [v, text] = Array.isArray(o) ? o : [o, o];
			return h('option', { value: v, selected: String(v) === String(value) }, text);
		}));
}

// The message area of a form (role=alert): created on first use.
function formMessage(form) {
	let box = form.querySelector(':scope > .form-error');
	if (!box) {
		box = h('div', { class: 'form-error', role: 'alert', hidden: true });
		form.prepend(box);
	}
	return box;
}

// unmark(el): the control's error message (from showError) gone.
function unmark(el) {
	el.removeAttribute('aria-invalid');
	const msg = document.getElementById(el.dataset.errorId || '');
	if (msg) {
		msg.hidden = true;
		msg.textContent = '';
	}
	const described = (el.getAttribute('aria-describedby') || '').split(' ')
		.filter((id) => id && id !== el.dataset.errorId);
	if (described.length) el.setAttribute('aria-describedby', described.join(' '));
	else el.removeAttribute('aria-describedby');
}

export function clearErrors(form) {
	if (!form) return;
	const box = form.querySelector(':scope > .form-error');
	if (box) {
		box.hidden = true;
		box.replaceChildren();
	}
	for (const el of form.querySelectorAll('[aria-invalid="true"]')) unmark(el);
}

// clearOnEdit(form): a control's error goes as soon as the user changes it, so only the
// errors still to fix stay marked; the message at the top goes with the last one (unless it
// lists errors no control shows).
export function clearOnEdit(form) {
	const clear = (ev) => {
		const el = ev.target;
		if (!el || el.getAttribute?.('aria-invalid') !== 'true') return;
		unmark(el);
		const box = form.querySelector(':scope > .form-error');
		if (box && !box.querySelector('li') && !form.querySelector('[aria-invalid="true"]')) box.hidden = true;
	};
	form.addEventListener('input', clear);
	form.addEventListener('change', clear);
}

// A control for an API field name: "scenes[1].prompt" or "scenes.1.prompt" finds
// name="scenes[1].prompt", then the plain name; "prompt" finds name="prompt".
function controlFor(form, fieldName) {
	const candidates = [fieldName, fieldName.replace(/\.(\d+)(?=\.|$)/g, '[$1]'),
		fieldName.replace(/^\$\.?/, ''), fieldName.split(/[.[]/)[0]];
	for (const n of candidates) {
		const el = form.querySelector(`[name="${CSS.escape(n)}"]`);
		if (el) return el;
	}
	return null;
}

// showError(err, form): the problem's detail at the top of the form, each field error under
// its control; errors without a control are listed in the message. Without a form: a toast.
export function showError(err, form) {
	const detail = (err && err.detail) || String(err);
	const wait = err && err.retryAfter ? ` (try again in ${err.retryAfter} s)` : '';
	if (!form) {
		toast(detail + wait, 'error');
		return;
	}
	clearErrors(form);
	const box = formMessage(form);
	const loose = [];
	let first = null;
	for (const fe of (err && err.fieldErrors) || []) {
		const el = fe.field ? controlFor(form, fe.field) : null;
		if (!el) {
			loose.push(fe.field ? `${fe.field}: ${fe.message}` : fe.message);
			continue;
		}
		el.setAttribute('aria-invalid', 'true');
		const msg = document.getElementById(el.dataset.errorId || '');
		if (msg) {
			msg.textContent = msg.textContent ? `${msg.textContent}; ${fe.message}` : fe.message;
			msg.hidden = false;
			const d = new Set((el.getAttribute('aria-describedby') || '').split(' ').filter(Boolean));
			d.add(msg.id);
			el.setAttribute('aria-describedby', [...d].join(' '));
		} else {
			loose.push(`${fe.field}: ${fe.message}`);
		}
		first = first || el;
	}
	mount(box, h('p', {}, detail + wait),
		loose.length ? h('ul', {}, loose.map((m) => h('li', {}, m))) : null);
	box.hidden = false;
	(first || box).focus?.();
	if (!first) box.scrollIntoView?.({ block: 'nearest' });
}

export function toast(message, kind = 'info') {
	const region = document.getElementById('toasts');
	if (!region) return;
	const t = h('div', { class: `toast toast-${kind}` }, message);
	region.append(t);
	setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
}

// A progress bar with its text (the percentage and the stage), for jobs under way.
export function progressBar(value, text, label = 'Progress') {
	const v = Math.max(0, Math.min(100, Math.round(Number(value) || 0)));
	return h('div', { class: 'progress' },
		h('progress', { max: 100, value: v, 'aria-label': label }),
		h('span', { class: 'progress-text' }, text ? `${v} % · ${text}` : `${v} %`));
}

export function statusBadge(status) {
	return h('span', { class: `badge badge-${status}` }, status);
}

export function fmtDate(s) {
	if (!s) return '—';
	const d = new Date(s);
	return Number.isNaN(d.getTime()) ? s : d.toLocaleString();
}

export function fmtBytes(n) {
	if (n === null || n === undefined) return '—';
	const units = ['B', 'KiB', 'MiB', 'GiB'];
	let v = Number(n);
	let i = 0;
	while (v >= 1024 && i < units.length - 1) {
		v /= 1024;
		i += 1;
	}
	return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
}

export function fmtUsd(n) {
	return `$${(Number(n) || 0).toFixed(2)}`;
}

export function fmtSeconds(n) {
	const s = Math.round(Number(n) || 0);
	return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

// confirmDialog('Delete this video?', 'Delete'): true when the user confirms. A <dialog>,
// so focus stays inside it and Escape cancels.
export function confirmDialog(message, confirmText = 'OK') {
	return new Promise((resolve) => {
		const dlg = h('dialog', { class: 'confirm', 'aria-label': message },
			h('form', { method: 'dialog' },
				h('p', {}, message),
				h('div', { class: 'actions' },
					h('button', { value: 'cancel', type: 'submit', class: 'secondary' }, 'Cancel'),
					h('button', { value: 'ok', type: 'submit', class: 'danger' }, confirmText))));
		dlg.addEventListener('close', () => {
			resolve(dlg.returnValue === 'ok');
			dlg.remove();
		});
		document.body.append(dlg);
		dlg.showModal();
	});
}

// A view's timers, requests and blob: URLs, all ended by dispose() when the view goes.
export class Scope {
	constructor() {
		this.timers = new Set();
		this.urls = new Set();
		this.abort = new AbortController();
		this.disposed = false;
	}

	get signal() { return this.abort.signal; }

	// poll(fn, ms): fn now and then every ms while the view lives, never two at once;
	// skipped while the tab is hidden. fn returns false to stop.
	poll(fn, ms) {
		let timer = null;
		const tick = async () => {
			if (this.disposed) return;
			let again = true;
			if (!document.hidden) {
				try {
					again = (await fn()) !== false;
				} catch (e) {
					if (e.name !== 'AbortError') again = true;
				}
			}
			if (again && !this.disposed) {
				timer = setTimeout(tick, ms);
				this.timers.add(timer);
			}
		};
		tick();
		return () => {
			clearTimeout(timer);
			this.timers.delete(timer);
		};
	}

	// media(path): a blob: URL of an API path (thumbnail, video, subtitles), revoked at dispose.
	async media(path) {
		const url = await objectUrl(path, this.signal);
		if (this.disposed) {
			URL.revokeObjectURL(url);
			throw new DOMException('view closed', 'AbortError');
		}
		this.urls.add(url);
		return url;
	}

	dispose() {
		this.disposed = true;
		this.abort.abort();
		for (const t of this.timers) clearTimeout(t);
		for (const u of this.urls) URL.revokeObjectURL(u);
		this.timers.clear();
		this.urls.clear();
	}
}

// download(scope, path, filename): saves an API file (it needs the token, so no plain link).
export async function download(scope, path, filename) {
	const url = await scope.media(path);
	const a = h('a', { href: url, download: filename, hidden: true });
	document.body.append(a);
	a.click();
	a.remove();
}

// copyText(text, what, selectEl): to the clipboard; when the browser refuses, selectEl's text
// is selected so Ctrl+C does it.
export async function copyText(text, what, selectEl) {
	try {
		await navigator.clipboard.writeText(text);
		toast(`${what} copied to the clipboard.`);
	} catch (e) {
		if (selectEl) {
			const range = document.createRange();
			range.selectNodeContents(selectEl);
			const sel = window.getSelection();
			sel.removeAllRanges();
			sel.addRange(range);
		}
		toast(`The browser did not allow copying: the ${what.toLowerCase()} is selected, press Ctrl+C.`, 'error');
	}
}

// busy(button, promise): the button disabled and marked while the promise runs.
export async function busy(button, promise) {
	const was = button.disabled;
	button.disabled = true;
	button.setAttribute('aria-busy', 'true');
	try {
		return await promise;
	} finally {
		button.disabled = was;
		button.removeAttribute('aria-busy');
	}
}
