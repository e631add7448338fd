// Admin · Audit log: who did what, newest first; filtered by the acting user and by action
// (an exact action such as user.update, or a prefix ending in a dot such as auth.); "Older"
// follows the server's cursor.
import { api } from '../api.js';
import { CursorPager, adminHeader, filterForm, shortId } from '../admin_tabs.js';
import { field, fmtDate, h, mount } from '../ui.js';

// Actions veogen writes, offered as suggestions (any other text is sent as typed).
const ACTIONS = ['auth.', 'auth.register', 'auth.login', 'auth.login_failed', 'auth.logout', 'auth.refresh_reuse',
	'user.', 'user.create', 'user.update', 'apikey.', 'apikey.create', 'apikey.revoke', 'webhook_secret.rotate',
	'job.', 'job.retry', 'job.cancel', 'video.delete', 'movie.delete', 'file.delete'];

// details as one line of text: {a: 1, b: {c: 2}} → a=1 b={"c":2}
function compact(details) {
	if (!details || typeof details !== 'object') return details ? String(details) : '';
	return Object.entries(details).map(([k, v]) =>
		`${k}=${v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ');
}

export default async function render(main, params, scope) {
	const userId = h('input', { type: 'text', name: 'user_id', autocomplete: 'off', spellcheck: 'false', placeholder: 'any user' });
	const listId = 'audit-actions';
	const action = h('input', { type: 'text', name: 'action', list: listId, autocomplete: 'off', spellcheck: 'false', placeholder: 'any action' });
	const apply = h('button', { type: 'submit' }, 'Filter');
	const clear = h('button', { type: 'button', class: 'secondary' }, 'Clear filters');
	const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter the audit log', novalidate: true },
		h('div', { class: 'filter-grid' },
			field('User id', userId, { hint: 'The acting user’s id (a UUID).' }),
			field('Action', action, { hint: 'user.update, or a prefix ending in a dot: auth.' }),
			h('datalist', { id: listId }, ACTIONS.map((a) => h('option', { value: a }))),
			h('div', { class: 'actions filter-actions' }, apply, clear)));
	const table = h('div', { class: 'table-wrap data-table' });

	async function filterBy(id) {
		userId.value = id;
		form.requestSubmit();
	}

	function actor(e) {
		if (!e.user_id) return h('span', { class: 'muted' }, 'system');
		return h('button', {
			type: 'button', class: 'link-button', title: e.user_id,
			'aria-label': `Show only what user ${e.user_id} did`, onclick: () => filterBy(e.user_id),
		}, shortId(e.user_id));
	}

	const pager = new CursorPager(async (cursor) => {
		const p = new URLSearchParams({ limit: '25' });
		if (userId.value.trim()) p.set('user_id', userId.value.trim());
		if (action.value.trim()) p.set('action', action.value.trim());
		if (cursor) p.set('cursor', cursor);
		const res = await api('GET', `/api/v1/admin/audit?${p}`, { signal: scope.signal });
		const items = res.items || [];
		if (!items.length) {
			mount(table, h('p', { class: 'muted' }, cursor ? 'No older entries.' : 'No entry matches.'));
		} else {
			mount(table, h('table', { class: 'admin-audit' },
				h('caption', { class: 'visually-hidden' }, 'Audit log'),
				h('thead', {}, h('tr', {}, ['Time', 'Actor', 'Action', 'Target', 'Details']
					.map((c) => h('th', { scope: 'col' }, c)))),
				h('tbody', {}, items.map((e) => h('tr', { dataset: { auditId: String(e.id), action: e.action } },
					h('td', { class: 'nowrap' }, fmtDate(e.at)),
					h('td', {}, actor(e)),
					h('td', {}, h('code', {}, e.action)),
					h('td', { title: e.target_id || '' }, e.target_type ? `${e.target_type} ${shortId(e.target_id)}` : '—'),
					h('td', { class: 'details-cell' }, compact(e.details) || '—',
						e.ip || e.request_id ? h('div', { class: 'muted' },
							[e.ip ? `from ${e.ip}` : '', e.request_id ? `request ${e.request_id}` : ''].filter(Boolean).join(' · ')) : null))))));
		}
		return res.next_cursor;
	}, { olderText: 'Older', newerText: 'Newer', label: 'Audit log pages' });

	filterForm(form, apply, pager);
	clear.addEventListener('click', () => {
		userId.value = '';
		action.value = '';
		form.requestSubmit();
	});

	mount(main, ...adminHeader('audit'), form, table, pager.el);
	await pager.first();
}
