// Admin · Users: every account with its role, disabled flag, quotas and this month's usage;
// each row edited in place and saved with PATCH /api/v1/admin/users/{id} (only the fields
// that changed). Search by email or name, filter by role and state, paged by cursor.
import { api } from '../api.js';
import { CursorPager, adminHeader, filterForm } from '../admin_tabs.js';
import { busy, field, fmtDate, fmtSeconds, fmtUsd, h, mount, select, toast, uid } from '../ui.js';

const COLS = ['Email', 'Role', 'Disabled', 'Video seconds quota', 'Cost quota (USD)', 'Usage this month', 'Created', 'Save'];

// A quota input's value as the API wants it: '' → null (the configured default), else the number.
function quotaValue(input) {
	const raw = input.value.trim();
	if (raw === '') return input.validity.badInput ? Number.NaN : null;
	return Number(raw);
}

function quotaText(v) {
	return v === null || v === undefined ? '' : String(v);
}

// The row's own error display (a table row cannot hold a <form>): field messages under the
// controls, the problem's detail in a row spanning the table below.
function rowErrors(row, errRow) {
	const cell = errRow.firstChild;
	return {
		clear() {
			errRow.hidden = true;
			mount(cell);
			for (const el of row.querySelectorAll('[aria-invalid="true"]')) {
				el.removeAttribute('aria-invalid');
				el.removeAttribute('aria-describedby');
				const msg = document.getElementById(el.dataset.errorId);
				if (msg) {
					msg.hidden = true;
					msg.textContent = '';
				}
			}
		},
		show(err) {
			this.clear();
			const loose = [];
			let first = null;
			for (const fe of err.fieldErrors || []) {
				const el = fe.field ? row.querySelector(`[name="${CSS.escape(fe.field)}"]`) : null;
				const msg = el && document.getElementById(el.dataset.errorId);
				if (!msg) {
					loose.push(fe.field ? `${fe.field}: ${fe.message}` : fe.message);
					continue;
				}
				el.setAttribute('aria-invalid', 'true');
				el.setAttribute('aria-describedby', msg.id);
				msg.textContent = fe.message;
				msg.hidden = false;
				first = first || el;
			}
			mount(cell, h('p', {}, err.detail || String(err)),
				loose.length ? h('ul', {}, loose.map((m) => h('li', {}, m))) : null);
			errRow.hidden = false;
			(first || cell).focus();
		},
	};
}

function errorSlot(control) {
	const id = uid('e');
	control.dataset.errorId = id;
	return h('small', { id, class: 'field-error', hidden: true });
}

function userRows(u, onSaved) {
	const email = u.email;
	let current = u;
	const role = select('role', [['user', 'user'], ['admin', 'admin']], u.role, { 'aria-label': `Role for ${email}` });
	const disabled = h('input', { type: 'checkbox', name: 'disabled', checked: !!u.disabled, 'aria-label': `Disabled for ${email}` });
	const qSec = h('input', {
		type: 'number', name: 'quota_video_seconds_month', min: 0, step: 1, inputmode: 'numeric',
		placeholder: 'default', value: quotaText(u.quota?.video_seconds_month), 'aria-label': `Video seconds quota for ${email}`,
	});
	const qCost = h('input', {
		type: 'number', name: 'quota_cost_usd_month', min: 0, step: '0.0001', inputmode: 'decimal',
		placeholder: 'default', value: quotaText(u.quota?.cost_usd_month), 'aria-label': `Cost quota for ${email}`,
	});
	const save = h('button', { type: 'button', class: 'small' }, 'Save');
	save.setAttribute('aria-label', `Save ${email}`);
	const usageCell = h('td', { class: 'usage-cell' });
	const createdCell = h('td', {});
	const nameLine = h('div', { class: 'muted' });
	const errRow = h('tr', { class: 'row-error', hidden: true }, h('td', { colspan: COLS.length, role: 'alert', tabindex: -1 }));
	const row = h('tr', { dataset: { userId: u.id } },
		h('th', { scope: 'row', class: 'email-cell' }, h('div', {}, email), nameLine),
		h('td', {}, role, errorSlot(role)),
		h('td', { class: 'center' }, disabled, errorSlot(disabled)),
		h('td', {}, qSec, errorSlot(qSec)),
		h('td', {}, qCost, errorSlot(qCost)),
		usageCell,
		createdCell,
		h('td', {}, save));
	const errors = rowErrors(row, errRow);

	function fill(x) {
		current = x;
		role.value = x.role;
		disabled.checked = !!x.disabled;
		qSec.value = quotaText(x.quota?.video_seconds_month);
		qCost.value = quotaText(x.quota?.cost_usd_month);
		nameLine.textContent = x.display_name || '';
		row.classList.toggle('is-disabled', !!x.disabled);
		mount(usageCell, `${fmtSeconds(x.usage?.video_seconds_month)} · ${fmtUsd(x.usage?.cost_usd_month)}`);
		mount(createdCell, fmtDate(x.created_at));
		markDirty();
	}

	// Only what changed goes in the PATCH.
	function changes() {
		const out = {};
		if (role.value !== current.role) out.role = role.value;
		if (disabled.checked !== !!current.disabled) out.disabled = disabled.checked;
		// a number field the browser cannot read goes as it is: the server says what it wants
		const s = quotaValue(qSec);
		const was = current.quota?.video_seconds_month ?? null;
		if (Number.isNaN(s)) out.quota_video_seconds_month = qSec.value;
		else if (s !== was) out.quota_video_seconds_month = s;
		const c = quotaValue(qCost);
		const wasC = current.quota?.cost_usd_month ?? null;
		if (Number.isNaN(c)) out.quota_cost_usd_month = qCost.value;
		else if (c === null ? wasC !== null : (wasC === null || Math.abs(c - wasC) > 1e-9)) out.quota_cost_usd_month = c;
		return out;
	}

	function markDirty() {
		const dirty = Object.keys(changes()).length > 0;
		row.classList.toggle('is-dirty', dirty);
		save.dataset.dirty = dirty ? 'true' : 'false';
	}
	for (const el of [role, disabled, qSec, qCost]) {
		el.addEventListener('input', markDirty);
		el.addEventListener('change', markDirty);
		// a field the user corrects loses its old message
		el.addEventListener('input', () => {
			if (el.getAttribute('aria-invalid') === 'true') errors.clear();
		});
		if (el.tagName === 'INPUT' && el.type === 'number') {
			el.addEventListener('keydown', (ev) => {
				if (ev.key === 'Enter') {
					ev.preventDefault();
					save.click();
				}
			});
		}
	}

	save.addEventListener('click', async () => {
		const body = changes();
		errors.clear();
		if (!Object.keys(body).length) {
			toast(`Nothing to save for ${email}: change a field first.`);
			return;
		}
		try {
			const saved = await busy(save, api('PATCH', `/api/v1/admin/users/${encodeURIComponent(current.id)}`, { json: body }));
			fill(saved);
			toast(`Saved ${email}.`);
			onSaved?.(saved);
		} catch (e) {
			errors.show(e);
		}
	});

	fill(u);
	return [row, errRow];
}

export default async function render(main, params, scope) {
	const q = h('input', { type: 'search', name: 'q', maxlength: 254, autocomplete: 'off' });
	const roleF = select('role', [['', 'any'], ['user', 'user'], ['admin', 'admin']], '');
	const stateF = select('disabled', [['', 'any'], ['false', 'enabled'], ['true', 'disabled']], '');
	const apply = h('button', { type: 'submit' }, 'Search');
	const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Find users', novalidate: true },
		h('div', { class: 'filter-grid' },
			field('Email or name', q),
			field('Filter by role', roleF),
			field('Account state', stateF),
			h('div', { class: 'actions filter-actions' }, apply)));
	const table = h('div', { class: 'table-wrap data-table' });
	const count = h('p', { class: 'muted', 'aria-live': 'polite' });

	const pager = new CursorPager(async (cursor) => {
		const p = new URLSearchParams({ limit: '25' });
		if (q.value.trim()) p.set('q', q.value.trim());
		if (roleF.value) p.set('role', roleF.value);
		if (stateF.value) p.set('disabled', stateF.value);
		if (cursor) p.set('cursor', cursor);
		const res = await api('GET', `/api/v1/admin/users?${p}`, { signal: scope.signal });
		const items = res.items || [];
		count.textContent = items.length ? `${items.length} account${items.length === 1 ? '' : 's'} on this page.` : '';
		if (!items.length) {
			mount(table, h('p', { class: 'muted' }, 'No account matches.'));
		} else {
			mount(table, h('table', { class: 'admin-users' },
				h('caption', { class: 'visually-hidden' }, 'Accounts'),
				h('thead', {}, h('tr', {}, COLS.map((c) => h('th', { scope: 'col' }, c)))),
				h('tbody', {}, items.map((u) => userRows(u)))));
		}
		return res.next_cursor;
	}, { olderText: 'Next page', newerText: 'Previous page', label: 'User pages' });

	filterForm(form, apply, pager);
	for (const s of [roleF, stateF]) s.addEventListener('change', () => form.requestSubmit());

	mount(main, ...adminHeader('users'),
		h('p', { class: 'hint' }, 'Quotas: empty = the configured default, 0 = no limit. Save sends only what you changed; a disabled account’s sessions and keys stop at once.'),
		form, count, table, pager.el);
	await pager.first();
}
