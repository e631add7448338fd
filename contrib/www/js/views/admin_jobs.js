// Admin · Jobs: the job queue, newest first, filtered by state and kind; a failed or
// cancelled job can be queued again (POST /api/v1/admin/jobs/{id}/retry). A refusal (409:
// the job moved on, its video is gone, a movie job) comes back with the server's reason.
import { api } from '../api.js';
import { CursorPager, adminHeader, filterForm, shortId } from '../admin_tabs.js';
import { busy, field, fmtDate, h, mount, select, showError, statusBadge, toast } from '../ui.js';

// What GET /api/v1/admin/jobs accepts (src/vg_jobadmin.c).
const STATES = ['blocked', 'queued', 'running', 'succeeded', 'failed', 'cancelled'];
const KINDS = ['video.generate', 'movie.plan', 'movie.assemble'];
const RETRYABLE = new Set(['failed', 'cancelled']);

function errorText(e) {
	if (!e) return '—';
	if (typeof e === 'string') return e;
	return [e.code, e.message].filter(Boolean).join(': ') || JSON.stringify(e);
}

function target(j) {
	const parts = [];
	if (j.movie_id) parts.push(h('div', { title: j.movie_id }, `movie ${shortId(j.movie_id)}`));
	if (j.video_id) parts.push(h('div', { title: j.video_id }, `video ${shortId(j.video_id)}`));
	if (j.user_id) parts.push(h('div', { class: 'muted', title: j.user_id }, `user ${shortId(j.user_id)}`));
	return parts.length ? parts : '—';
}

export default async function render(main, params, scope) {
	const stateF = select('state', [['', 'any'], ...STATES.map((s) => [s, s])], '');
	const kindF = select('kind', [['', 'any'], ...KINDS.map((k) => [k, k])], '');
	const refresh = h('button', { type: 'submit' }, 'Refresh');
	const form = h('form', { class: 'filters', 'aria-label': 'Filter jobs', novalidate: true },
		h('div', { class: 'filter-grid' },
			field('State', stateF),
			field('Kind', kindF),
			h('div', { class: 'actions filter-actions' }, refresh)));
	const table = h('div', { class: 'table-wrap data-table' });
	const when = h('p', { class: 'muted', 'aria-live': 'polite' });
	let pager = null;

	function retryButton(j) {
		const btn = h('button', { type: 'button', class: 'small', 'aria-label': `Retry job ${shortId(j.id)}` }, 'Retry');
		btn.addEventListener('click', async () => {
			try {
				const job = await busy(btn, api('POST', `/api/v1/admin/jobs/${encodeURIComponent(j.id)}/retry`));
				toast(`Job ${shortId(j.id)} retried: it is ${job.state} now.`);
			} catch (e) {
				showError(e);
			}
			try {
				await pager.reload();
			} catch (e) {
				showError(e);
			}
		});
		return btn;
	}

	pager = new CursorPager(async (cursor) => {
		const p = new URLSearchParams({ limit: '25' });
		if (stateF.value) p.set('state', stateF.value);
		if (kindF.value) p.set('kind', kindF.value);
		if (cursor) p.set('cursor', cursor);
		const res = await api('GET', `/api/v1/admin/jobs?${p}`, { signal: scope.signal });
		const items = res.items || [];
		when.textContent = `Shown at ${new Date().toLocaleTimeString()}.`;
		if (!items.length) {
			mount(table, h('p', { class: 'muted' }, 'No job matches.'));
		} else {
			mount(table, h('table', { class: 'admin-jobs' },
				h('caption', { class: 'visually-hidden' }, 'Jobs'),
				h('thead', {}, h('tr', {}, ['Job', 'Kind', 'State', 'Attempts', 'Run at / updated', 'Last error', 'Target', 'Actions']
					.map((c) => h('th', { scope: 'col' }, c)))),
				h('tbody', {}, items.map((j) => h('tr', { dataset: { jobId: j.id, state: j.state, kind: j.kind } },
					h('td', { title: j.id }, h('code', {}, shortId(j.id))),
					h('td', {}, j.kind, j.step ? h('div', { class: 'muted' }, `step ${j.step}`) : null),
					h('td', {}, statusBadge(j.state)),
					h('td', {}, `${j.attempt ?? 0} of ${j.max_attempts ?? '?'}`),
					h('td', {}, h('div', {}, fmtDate(j.run_at)),
						h('div', { class: 'muted' }, fmtDate(j.finished_at || j.heartbeat_at || j.started_at || j.created_at))),
					h('td', { class: 'error-cell' }, errorText(j.last_error)),
					h('td', {}, target(j)),
					h('td', {}, RETRYABLE.has(j.state) ? retryButton(j) : null))))));
		}
		return res.next_cursor;
	}, { olderText: 'Older', newerText: 'Newer', label: 'Job pages' });

	filterForm(form, refresh, pager);
	for (const s of [stateF, kindF]) s.addEventListener('change', () => form.requestSubmit());

	mount(main, ...adminHeader('jobs'),
		h('p', { class: 'hint' }, 'Newest first. A failed or cancelled job can be retried; finished jobs are pruned after the retention period.'),
		form, when, table, pager.el);
	await pager.first();
}
