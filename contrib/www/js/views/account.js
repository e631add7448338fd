// The account: who you are, this month's usage against the quota, API keys (the secret of a
// new key shown once), the webhook signing secret (show, rotate) and the recent deliveries.
import { api, reloadUser } from '../api.js';
import { CursorPager, shortId } from '../admin_tabs.js';
import {
	busy, clearErrors, confirmDialog, copyText, field, fmtDate, fmtSeconds, fmtUsd, h, mount, showError, statusBadge, toast, uid,
} from '../ui.js';

// ---- who you are, usage ----

function profile(me) {
	const row = (k, v) => [h('dt', {}, k), h('dd', {}, v)];
	return h('section', { class: 'card account-profile', 'aria-labelledby': 'acct-who' },
		h('h2', { id: 'acct-who' }, 'Who you are'),
		h('dl', { class: 'facts' },
			row('Email', me.email),
			row('Name', me.display_name || '—'),
			row('Role', me.role),
			row('Member since', fmtDate(me.created_at))));
}

// One usage line: a <meter> against the quota, or the amount and "no limit".
function usageLine(label, used, quota, fmt) {
	const id = uid('m');
	const limited = quota !== null && quota !== undefined && Number(quota) > 0;
	if (!limited) {
		return h('div', { class: 'usage-line' },
			h('span', { class: 'usage-label' }, label),
			h('span', { class: 'usage-numbers' }, `${fmt(used)} used · no limit`));
	}
	const pct = Math.round((Number(used) / Number(quota)) * 100);
	const q = Number(quota);
	return h('div', { class: 'usage-line' },
		h('label', { for: id, class: 'usage-label' }, label),
		h('meter', { id, min: 0, max: q, value: Math.min(Number(used), q), low: q * 0.8, high: q * 0.95, optimum: 0 }),
		h('span', { class: 'usage-numbers' }, `${fmt(used)} of ${fmt(quota)} (${pct} %)`));
}

function usage(me) {
	const u = me.usage || {};
	const q = me.quota || {};
	return h('section', { class: 'card account-usage', 'aria-labelledby': 'acct-usage' },
		h('h2', { id: 'acct-usage' }, 'Usage this month'),
		usageLine('Video seconds this month', u.video_seconds_month || 0, q.video_seconds_month, fmtSeconds),
		usageLine('Cost this month', u.cost_usd_month || 0, q.cost_usd_month, fmtUsd),
		h('p', { class: 'hint' }, 'Counted from the first of the month (UTC); failed and cancelled videos cost nothing. An administrator sets the quotas.'));
}

// ---- API keys ----

function apiKeys(scope) {
	const name = h('input', { type: 'text', name: 'name', maxlength: 100, required: true, autocomplete: 'off' });
	const submit = h('button', { type: 'submit' }, 'Create key');
	const form = h('form', { class: 'key-form', novalidate: true },
		field('Key name', name, { hint: 'What uses it, e.g. "render server". 1 to 100 characters.' }),
		h('div', { class: 'actions' }, submit));
	const fresh = h('div', { class: 'new-key', role: 'status', hidden: true });
	const list = h('div', { class: 'table-wrap data-table' });

	async function load() {
		const res = await api('GET', '/api/v1/api-keys', { signal: scope.signal });
		const items = res.items || [];
		if (!items.length) {
			mount(list, h('p', { class: 'muted' }, 'No API keys yet.'));
			return;
		}
		mount(list, h('table', { class: 'keys' },
			h('caption', { class: 'visually-hidden' }, 'Your API keys'),
			h('thead', {}, h('tr', {},
				h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Prefix'),
				h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, 'Last used'),
				h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
			h('tbody', {}, items.map((k) => h('tr', { dataset: { keyId: k.id } },
				h('td', { dataset: { label: 'Name' }, class: 'key-name' }, k.name),
				h('td', { dataset: { label: 'Prefix' } }, h('code', {}, `${k.prefix}…`)),
				h('td', { dataset: { label: 'Created' } }, fmtDate(k.created_at)),
				h('td', { dataset: { label: 'Last used' } }, k.last_used_at ? fmtDate(k.last_used_at) : 'never'),
				h('td', { class: 'key-actions' }, revokeButton(k)))))));
	}

	function revokeButton(k) {
		const btn = h('button', { type: 'button', class: 'danger small', 'aria-label': `Revoke ${k.name}` }, 'Revoke');
		btn.addEventListener('click', async () => {
			if (!await confirmDialog(`Revoke the key "${k.name}"? Programs using it stop working at once.`, 'Revoke')) {
				btn.focus();
				return;
			}
			try {
				await busy(btn, api('DELETE', `/api/v1/api-keys/${encodeURIComponent(k.id)}`));
				toast(`Key "${k.name}" revoked.`);
				if (fresh.dataset.keyId === k.id) fresh.hidden = true;
				await load();
				name.focus();
			} catch (e) {
				showError(e);
			}
		});
		return btn;
	}

	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		clearErrors(form);
		try {
			const key = await busy(submit, api('POST', '/api/v1/api-keys', { json: { name: name.value.trim() } }));
			const secret = h('code', { class: 'new-key-secret' }, key.key);
			const done = h('button', { type: 'button', class: 'secondary' }, 'Done');
			done.addEventListener('click', () => {
				fresh.hidden = true;
				mount(fresh);
				name.focus();
			});
			fresh.dataset.keyId = key.id;
			mount(fresh,
				h('p', {}, h('strong', {}, `Key "${key.name}" created.`),
					' Copy it now: the secret is shown only now and cannot be shown again.'),
				h('div', { class: 'secret-box' }, secret),
				h('div', { class: 'actions' },
					h('button', { type: 'button', onclick: () => copyText(key.key, 'Key', secret) }, 'Copy key'),
					done),
				h('p', { class: 'hint' }, 'Send it as X-API-Key: <key> or Authorization: Bearer <key>.'));
			fresh.hidden = false;
			name.value = '';
			await load();
			fresh.querySelector('button').focus();
		} catch (e) {
			showError(e, form);
		}
	});

	const section = h('section', { class: 'card account-keys', 'aria-labelledby': 'acct-keys' },
		h('h2', { id: 'acct-keys' }, 'API keys'),
		h('p', { class: 'hint' }, 'Keys let programs use the API as you. A key works until you revoke it.'),
		form, fresh, list);
	return { section, load };
}

// ---- webhook secret, deliveries ----

function mask(secret) {
	if (!secret) return '—';
	return `${secret.slice(0, 6)}${'•'.repeat(12)}${secret.slice(-4)}`;
}

function webhookSecret() {
	const box = h('div', { class: 'webhook-secret-box', 'aria-live': 'polite' });
	const showBtn = h('button', { type: 'button', class: 'secondary' }, 'Show webhook secret');
	const rotateBtn = h('button', { type: 'button', class: 'secondary' }, 'Rotate webhook secret');

	function display(s, rotated) {
		let revealed = false;
		const code = h('code', { class: 'webhook-secret', dataset: { masked: 'true' } }, mask(s.secret));
		const reveal = h('button', { type: 'button', class: 'secondary small', 'aria-pressed': 'false' }, 'Reveal');
		reveal.addEventListener('click', () => {
			revealed = !revealed;
			code.textContent = revealed ? s.secret : mask(s.secret);
			code.dataset.masked = revealed ? 'false' : 'true';
			reveal.textContent = revealed ? 'Hide' : 'Reveal';
			reveal.setAttribute('aria-pressed', String(revealed));
		});
		const copyBtn = h('button', { type: 'button', class: 'secondary small', onclick: () => copyText(s.secret, 'Webhook secret', code) }, 'Copy secret');
		mount(box,
			rotated ? h('p', { class: 'notice' }, 'A new webhook secret is in force. ',
				s.previous_valid_until
					? `The previous one stays valid until ${fmtDate(s.previous_valid_until)}, so receivers can switch over.`
					: 'The previous one no longer verifies.') : null,
			h('div', { class: 'secret-box' }, code),
			h('div', { class: 'actions' }, reveal, copyBtn),
			h('p', { class: 'hint' }, `Created ${fmtDate(s.created_at)}.`,
				!rotated && s.previous_valid_until ? ` The previous secret stays valid until ${fmtDate(s.previous_valid_until)}.` : ''));
	}

	showBtn.addEventListener('click', async () => {
		try {
			display(await busy(showBtn, api('GET', '/api/v1/me/webhook-secret')), false);
		} catch (e) {
			showError(e);
		}
	});
	rotateBtn.addEventListener('click', async () => {
		if (!await confirmDialog('Rotate the webhook secret? Receivers must switch to the new one; the old one keeps working for a while.', 'Rotate')) {
			rotateBtn.focus();
			return;
		}
		try {
			display(await busy(rotateBtn, api('POST', '/api/v1/me/webhook-secret/rotate')), true);
			toast('Webhook secret rotated.');
		} catch (e) {
			showError(e);
		}
	});
	return h('div', {},
		h('p', { class: 'hint' }, 'Webhook calls are signed the Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature) with this secret.'),
		h('div', { class: 'actions' }, showBtn, rotateBtn),
		box);
}

function deliveries(scope) {
	const list = h('div', { class: 'table-wrap data-table' });
	const pager = new CursorPager(async (cursor) => {
		const q = new URLSearchParams({ limit: '10' });
		if (cursor) q.set('cursor', cursor);
		const res = await api('GET', `/api/v1/me/webhook-deliveries?${q}`, { signal: scope.signal });
		const items = res.items || [];
		if (!items.length) {
			mount(list, h('p', { class: 'muted' }, cursor ? 'No older deliveries.'
				: 'No webhook deliveries yet: they appear when a video or movie with a webhook URL changes state.'));
		} else {
			mount(list, h('table', { class: 'deliveries' },
				h('caption', { class: 'visually-hidden' }, 'Recent webhook deliveries'),
				h('thead', {}, h('tr', {}, ['Time', 'Event', 'Object', 'URL', 'State', 'Attempts', 'Last answer']
					.map((c) => h('th', { scope: 'col' }, c)))),
				h('tbody', {}, items.map((d) => h('tr', {},
					h('td', {}, fmtDate(d.created_at)),
					h('td', {}, d.type),
					h('td', { title: d.target_id }, `${d.object} ${shortId(d.target_id)}`),
					h('td', { class: 'url-cell' }, d.url),
					h('td', {}, statusBadge(d.state)),
					h('td', {}, String(d.attempts)),
					h('td', {}, [d.last_status ? `HTTP ${d.last_status}` : '', d.last_error ? ` ${d.last_error}` : ''].join('').trim() || '—'))))));
		}
		return res.next_cursor;
	}, { label: 'Webhook delivery pages' });
	const refresh = h('button', { type: 'button', class: 'secondary small' }, 'Refresh deliveries');
	refresh.addEventListener('click', async () => {
		try {
			await busy(refresh, pager.first());
		} catch (e) {
			showError(e);
		}
	});
	const el = h('div', { class: 'deliveries-box' },
		h('div', { class: 'section-head' }, h('h3', {}, 'Recent deliveries'), refresh),
		list, pager.el);
	return { el, load: () => pager.first() };
}

export default async function render(main, params, scope) {
	const me = await reloadUser();
	const keys = apiKeys(scope);
	const dl = deliveries(scope);
	mount(main, h('div', { class: 'account' },
		h('h1', {}, 'Account'),
		h('div', { class: 'grid grid-2 account-top' }, profile(me), usage(me)),
		keys.section,
		h('section', { class: 'card account-webhooks', 'aria-labelledby': 'acct-hooks' },
			h('h2', { id: 'acct-hooks' }, 'Webhooks'),
			webhookSecret(),
			dl.el)));
	await Promise.all([keys.load(), dl.load()]);
}
