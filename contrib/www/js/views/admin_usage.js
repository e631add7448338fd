// Admin · Usage: the rollups veogen-rollup writes (per period, user, provider and model),
// newest period first, with the totals of the rows shown and when the rollup last ran.
import { api } from '../api.js';
import { CursorPager, adminHeader, filterForm } from '../admin_tabs.js';
import { field, fmtDate, fmtSeconds, fmtUsd, h, mount, select } from '../ui.js';

const NUMS = ['videos', 'succeeded', 'failed', 'cancelled', 'video_seconds', 'cost_usd'];

function periodText(start, period) {
	if (!start) return '—';
	const d = new Date(start);
	if (Number.isNaN(d.getTime())) return start;
	return period === 'hour' ? d.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' })
		: d.toLocaleDateString([], { dateStyle: 'medium', timeZone: 'UTC' });
}

export default async function render(main, params, scope) {
	const period = select('period', [['day', 'day'], ['hour', 'hour']], 'day');
	const userId = h('input', { type: 'text', name: 'user_id', autocomplete: 'off', spellcheck: 'false', placeholder: 'every user' });
	const since = h('input', { type: 'date', name: 'since' });
	const until = h('input', { type: 'date', name: 'until' });
	const apply = h('button', { type: 'submit' }, 'Show');
	const form = h('form', { class: 'filters', 'aria-label': 'Filter usage', novalidate: true },
		h('div', { class: 'filter-grid' },
			field('Period', period),
			field('User id', userId),
			field('Since', since, { hint: 'From this day (UTC).' }),
			field('Until', until, { hint: 'Before this day (UTC).' }),
			h('div', { class: 'actions filter-actions' }, apply)));
	const ran = h('p', { class: 'muted' });
	const table = h('div', { class: 'table-wrap data-table' });

	const pager = new CursorPager(async (cursor) => {
		const p = new URLSearchParams({ period: period.value, limit: '50' });
		if (userId.value.trim()) p.set('user_id', userId.value.trim());
		if (since.value) p.set('since', since.value);
		if (until.value) p.set('until', until.value);
		if (cursor) p.set('cursor', cursor);
		const res = await api('GET', `/api/v1/admin/usage?${p}`, { signal: scope.signal });
		const items = res.items || [];
		ran.textContent = res.rolled_up_at
			? `Rolled up at ${fmtDate(res.rolled_up_at)} (veogen-rollup); newer work shows after its next run.`
			: 'The rollups have not run yet: veogen-rollup (run by its timer or cron) fills this table.';
		if (!items.length) {
			mount(table, h('p', { class: 'muted' }, 'No usage in the rollups for these filters.'));
			return res.next_cursor;
		}
		const total = Object.fromEntries(NUMS.map((k) => [k, items.reduce((s, r) => s + (Number(r[k]) || 0), 0)]));
		mount(table, h('table', { class: 'admin-usage' },
			h('caption', { class: 'visually-hidden' }, `Usage per ${res.period || period.value}`),
			h('thead', {}, h('tr', {},
				['Period', 'User', 'Provider', 'Model'].map((c) => h('th', { scope: 'col' }, c)),
				['Videos', 'Succeeded', 'Failed', 'Cancelled', 'Video seconds', 'Cost'].map((c) => h('th', { scope: 'col', class: 'num' }, c)))),
			h('tbody', {}, items.map((r) => h('tr', { dataset: { userId: r.user_id } },
				h('td', { class: 'nowrap' }, periodText(r.period_start, res.period)),
				h('td', { title: r.user_id }, r.email),
				h('td', {}, r.provider),
				h('td', {}, r.model),
				h('td', { class: 'num' }, String(r.videos)),
				h('td', { class: 'num' }, String(r.succeeded)),
				h('td', { class: 'num' }, String(r.failed)),
				h('td', { class: 'num' }, String(r.cancelled)),
				h('td', { class: 'num' }, fmtSeconds(r.video_seconds)),
				h('td', { class: 'num' }, fmtUsd(r.cost_usd))))),
			h('tfoot', {}, h('tr', { class: 'totals' },
				h('th', { scope: 'row', colspan: 4 }, `Totals (${items.length} row${items.length === 1 ? '' : 's'} shown)`),
				h('td', { class: 'num' }, String(total.videos)),
				h('td', { class: 'num' }, String(total.succeeded)),
				h('td', { class: 'num' }, String(total.failed)),
				h('td', { class: 'num' }, String(total.cancelled)),
				h('td', { class: 'num' }, fmtSeconds(total.video_seconds)),
				h('td', { class: 'num' }, fmtUsd(total.cost_usd))))));
		return res.next_cursor;
	}, { olderText: 'Older', newerText: 'Newer', label: 'Usage pages' });

	filterForm(form, apply, pager);
	period.addEventListener('change', () => form.requestSubmit());

	mount(main, ...adminHeader('usage'), form, ran, table, pager.el);
	await pager.first();
}
