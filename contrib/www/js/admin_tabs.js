// What the admin screens share: the tab strip (Users / Jobs / Audit log / Usage, the current
// one marked with aria-current) and a cursor pager. The API pages with next_cursor only, so
// the pager keeps the cursors of the pages already seen to go back.
import { busy, clearErrors, h, showError } from './ui.js';

const TABS = [
	['users', 'Users', '#/admin/users'],
	['jobs', 'Jobs', '#/admin/jobs'],
	['audit', 'Audit log', '#/admin/audit'],
	['usage', 'Usage', '#/admin/usage'],
];

// adminHeader('users'): the screen's heading and the tab strip.
export function adminHeader(current) {
	const title = TABS.find(([id]) => id === current)?.[1] || 'Admin';
	return [
		h('h1', {}, `Admin · ${title}`),
		h('nav', { 'aria-label': 'Admin sections', class: 'admin-tabs' },
			h('ul', { class: 'tabs' }, TABS.map(([id, text, href]) =>
				h('li', {}, h('a', { href, 'aria-current': id === current ? 'page' : null }, text))))),
	];
}

// The first 8 characters of an id (the whole one goes in a title attribute).
export function shortId(id) {
	return id ? String(id).slice(0, 8) : '—';
}

// filterForm(form, button, pager): submitting the filters loads their first page; the
// API's refusal (a malformed id, say) shows in the form.
export function filterForm(form, button, pager) {
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		clearErrors(form);
		try {
			await busy(button, pager.first());
		} catch (e) {
			showError(e, form);
		}
	});
}

// new CursorPager(load): load(cursor) fetches a page and returns its next_cursor.
// first() / older() / newer() move; el is the <nav> with its buttons.
export class CursorPager {
	constructor(load, { olderText = 'Older', newerText = 'Newer', label = 'Pages', onError = (e) => showError(e) } = {}) {
		this.load = load;
		this.onError = onError;
		this.stack = []; // cursors of the pages shown so far; the last is the current one
		this.next = null;
		this.olderBtn = h('button', { type: 'button', class: 'secondary', onclick: () => this.run(this.olderBtn, () => this.older()) }, olderText);
		this.newerBtn = h('button', { type: 'button', class: 'secondary', onclick: () => this.run(this.newerBtn, () => this.newer()) }, newerText);
		this.status = h('span', { class: 'muted pager-status', 'aria-live': 'polite' });
		this.el = h('nav', { class: 'pager', 'aria-label': label }, this.newerBtn, this.status, this.olderBtn);
		this.sync();
	}

	// A button's move, its failure shown (never an unhandled rejection).
	async run(button, fn) {
		try {
			await busy(button, fn());
		} catch (e) {
			if (e.name !== 'AbortError') this.onError(e);
		}
		this.sync();
	}

	sync() {
		this.newerBtn.disabled = this.stack.length <= 1;
		this.olderBtn.disabled = !this.next;
		this.status.textContent = `Page ${Math.max(1, this.stack.length)}`;
	}

	async show(cursor) {
		this.next = await this.load(cursor);
		this.sync();
	}

	// The first page again (after a filter change or a refresh of page 1).
	async first() {
		this.stack = [null];
		await this.show(null);
	}

	// The current page again.
	async reload() {
		if (!this.stack.length) this.stack = [null];
		await this.show(this.stack[this.stack.length - 1]);
	}

	async older() {
		if (!this.next) return;
		this.stack.push(this.next);
		try {
			await this.show(this.next);
		} catch (e) {
			this.stack.pop();
			this.sync();
			throw e;
		}
	}

	async newer() {
		if (this.stack.length <= 1) return;
		this.stack.pop();
		await this.show(this.stack[this.stack.length - 1]);
	}
}
