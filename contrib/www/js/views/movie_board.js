// One movie (#/movies/:id): its settings (PATCH), the scene board (add, edit, delete,
// reorder by drag and drop or keyboard, regenerate one scene), render and cancel with the
// overall and per-scene progress (polled every 2 s while the movie is busy), and once
// rendered the film with its subtitles, contact sheet, downloads and HLS address.
import { api } from '../api.js';
import { go } from '../app.js';
import { loadProviders, modelFor } from '../estimate.js';
import { filmBlock, filmKey, markFilmOutdated } from '../movie_film.js';
import { openSceneEditor, transitionOptions } from '../scene_editor.js';
import { sceneBoard, sceneLabel } from '../scene_board.js';
import {
	busy, clearErrors, confirmDialog, field, fmtSeconds, fmtUsd, h, mount, select, showError, statusBadge, toast,
} from '../ui.js';

const BUSY = new Set(['planning', 'rendering', 'assembling']);

function isBusy(m) {
	return BUSY.has(m.status);
}

function fact(k, v) {
	return [h('dt', {}, k), h('dd', {}, v)];
}

export default async function render(main, params, scope) {
	const path = `/api/v1/movies/${encodeURIComponent(params.id)}`;
	let movie = await api('GET', path, { signal: scope.signal });
	const [styles, providers] = await Promise.all([
		api('GET', '/api/v1/styles', { signal: scope.signal }).then((r) => r.items || []).catch(() => []),
		loadProviders(scope.signal).catch(() => null),
	]);
	const model = modelFor(providers, movie.provider, movie.model);
	const durations = (model && model.durations) || [4, 6, 8];

	// ---- header: title, status, progress, facts, actions ----
	const title = h('h1', { class: 'movie-title' });
	const badge = h('span', { class: 'movie-badge' });
	const stage = h('span', { class: 'board-stage muted' });
	const progress = h('progress', { max: 100, value: 0, 'aria-label': 'Movie progress' });
	const progressText = h('span', { class: 'progress-text' });
	const facts = h('dl', { class: 'board-facts' });
	const errorBox = h('div', { class: 'form-error board-error', role: 'alert', hidden: true });
	const busyNote = h('p', { class: 'notice movie-busy-note', hidden: true },
		'The movie is being made: its scenes and settings can be changed once it finishes or after Cancel render.');
	const renderBtn = h('button', { type: 'button' }, 'Render movie');
	const cancelBtn = h('button', { type: 'button', class: 'danger' }, 'Cancel render');
	const addBtn = h('button', { type: 'button', class: 'secondary' }, 'Add scene');
	const deleteBtn = h('button', { type: 'button', class: 'danger' }, 'Delete movie');

	// ---- settings: PATCH /movies/{id} with what changed ----
	const sTitle = h('input', { type: 'text', name: 'title', maxlength: 200, required: true });
	const styleOpts = styles.map((s) => [s.id, s.name || s.id]);
	const sStyle = select('style', styleOpts.length ? styleOpts : [[movie.style, movie.style]], movie.style);
	const sTransition = select('transition', transitionOptions(movie.transition), movie.transition);
	const sTransSec = h('input', { type: 'number', name: 'transition_seconds', min: 0.5, max: 2, step: 0.1, inputmode: 'decimal' });
	const sBudget = h('input', { type: 'number', name: 'budget_usd', min: 0, step: 0.01, inputmode: 'decimal', placeholder: 'no budget' });
	const sContinuity = h('input', { type: 'checkbox', name: 'continuity', id: 'mv-continuity' });
	const sTitleCard = h('input', { type: 'checkbox', name: 'title_card', id: 'mv-title-card' });
	const sVolume = h('input', { type: 'number', name: 'soundtrack_volume', min: 0, max: 2, step: 0.05, inputmode: 'decimal' });
	const volumeField = field('Soundtrack volume', sVolume, { hint: '0 (silent) to 2.' });
	const saveBtn = h('button', { type: 'submit' }, 'Save settings');
	const settingsForm = h('form', { class: 'movie-settings-form', novalidate: true },
		h('div', { class: 'grid grid-2' },
			field('Movie title', sTitle),
			field('Style', sStyle, { hint: 'Changing it needs a new take of every scene.' }),
			field('Transition', sTransition, { hint: 'Between scenes (a scene can choose its own).' }),
			field('Transition length (s)', sTransSec, { hint: '0.5 to 2 seconds; not used by cut.' }),
			field('Budget (USD)', sBudget, { hint: 'Renders that would spend more are refused. Empty: no budget.' }),
			volumeField),
		h('div', { class: 'field' }, h('div', { class: 'check' }, sContinuity, h('label', { for: sContinuity.id }, 'Continuity (each scene starts from the last frame of the one before)'))),
		h('div', { class: 'field' }, h('div', { class: 'check' }, sTitleCard, h('label', { for: sTitleCard.id }, 'Title card before scene 1'))),
		h('div', { class: 'actions' }, saveBtn));
	const settings = h('details', { class: 'card movie-settings' },
		h('summary', {}, 'Settings'), settingsForm);
	let settingsDirty = false;
	settingsForm.addEventListener('input', () => { settingsDirty = true; });
	settingsForm.addEventListener('change', () => { settingsDirty = true; });

	function fillSettings(m) {
		sTitle.value = m.title || '';
		if (![...sStyle.options].some((o) => o.value === m.style)) sStyle.append(h('option', { value: m.style }, m.style));
		sStyle.value = m.style;
		if (![...sTransition.options].some((o) => o.value === m.transition)) sTransition.append(h('option', { value: m.transition }, m.transition));
		sTransition.value = m.transition || 'cut';
		sTransSec.value = m.transition_seconds ?? 1;
		sBudget.value = m.budget_usd === null || m.budget_usd === undefined ? '' : m.budget_usd;
		sContinuity.checked = !!m.continuity;
		sTitleCard.checked = !!m.title_card;
		sVolume.value = m.soundtrack_volume ?? 0.35;
		volumeField.hidden = !m.soundtrack_id;
		settingsDirty = false;
	}

	function settingsChanges() {
		const b = {};
		const t = sTitle.value.trim();
		if (t !== movie.title) b.title = t;
		if (sStyle.value !== movie.style) b.style = sStyle.value;
		if (sTransition.value !== movie.transition) b.transition = sTransition.value;
		const ts = sTransSec.value.trim() === '' ? null : Number(sTransSec.value);
		if (ts !== null && Math.abs(ts - Number(movie.transition_seconds)) > 0.001) b.transition_seconds = ts;
		const bud = sBudget.value.trim() === '' ? null : Number(sBudget.value);
		const had = movie.budget_usd === null || movie.budget_usd === undefined ? null : Number(movie.budget_usd);
		if (bud !== had && !(bud !== null && had !== null && Math.abs(bud - had) < 0.00005)) b.budget_usd = bud;
		if (sContinuity.checked !== !!movie.continuity) b.continuity = sContinuity.checked;
		if (sTitleCard.checked !== !!movie.title_card) b.title_card = sTitleCard.checked;
		if (movie.soundtrack_id) {
			const v = Number(sVolume.value);
			if (sVolume.value.trim() !== '' && Math.abs(v - Number(movie.soundtrack_volume)) > 0.001) b.soundtrack_volume = v;
		}
		return b;
	}

	settingsForm.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		clearErrors(settingsForm);
		const b = settingsChanges();
		if (!Object.keys(b).length) {
			toast('Nothing to save: the settings are as they were.');
			settingsDirty = false;
			return;
		}
		try {
			const m = await busy(saveBtn, api('PATCH', path, { json: b }));
			settingsDirty = false;
			apply(m, true);
			fillSettings(m);
			const stale = m.scenes.filter((s) => s.status === 'stale').length;
			toast(stale ? `Settings saved: ${stale} scene${stale === 1 ? '' : 's'} need${stale === 1 ? 's' : ''} a new take.` : 'Settings saved.');
		} catch (e) {
			showError(e, settingsForm);
		}
	});

	// ---- the board ----
	let mutations = 0; // answers of the user's own edits; an older poll answer is dropped
	const board = sceneBoard({
		scope,
		async reorder(ids) {
			try {
				const m = await api('POST', `${path}/scenes/reorder`, { json: { scene_ids: ids } });
				apply(m, true);
				return m;
			} catch (e) {
				showError(e);
				// the server's order back (what it has now, when it can say)
				try {
					apply(await api('GET', path, { signal: scope.signal }), true);
				} catch (e2) {
					apply(movie, true);
				}
				throw e;
			}
		},
		edit(scene) {
			openSceneEditor({
				movie, scene, durations,
				onSaved(m) {
					apply(m, true);
					const s = m.scenes.find((x) => x.id === scene.id);
					toast(s && s.status === 'stale' ? `Scene ${s.position} saved: it needs a new take.` : 'Scene saved.');
					board.focusCard(scene.id, 'edit');
				},
			});
		},
		async remove(scene) {
			const label = sceneLabel(scene);
			if (!await confirmDialog(`Delete scene ${scene.position} "${label}"?`, 'Delete')) {
				board.focusCard(scene.id, 'card');
				return;
			}
			try {
				const m = await api('DELETE', `${path}/scenes/${encodeURIComponent(scene.id)}`);
				apply(m, true);
				toast(`Scene ${scene.position} deleted.`);
				const next = m.scenes[Math.min(scene.position - 1, m.scenes.length - 1)];
				if (next) board.focusCard(next.id, 'card');
				else addBtn.focus();
			} catch (e) {
				showError(e);
			}
		},
		async regenerate(scene, btn) {
			try {
				const m = await busy(btn, api('POST', `${path}/scenes/${encodeURIComponent(scene.id)}/regenerate`));
				apply(m, true);
				toast(`A new take of scene ${scene.position} is under way.`);
				cancelBtn.focus();
			} catch (e) {
				showError(e);
			}
		},
	});

	// ---- the film ----
	const filmHolder = h('div', { class: 'film-holder' });
	let shownFilm = null;

	function updateFilm(m) {
		const key = isBusy(m) ? null : filmKey(m);
		if (key === shownFilm) {
			markFilmOutdated(filmHolder.firstElementChild, m);
			return;
		}
		shownFilm = key;
		if (!key) {
			filmHolder.replaceChildren();
			return;
		}
		mount(filmHolder, filmBlock(m, scope));
	}

	// ---- everything from one movie object ----
	function updateHeader(m) {
		title.textContent = m.title;
		document.title = `${m.title} · veogen`;
		if (badge.dataset.status !== m.status) {
			badge.dataset.status = m.status;
			mount(badge, statusBadge(m.status));
		}
		stage.textContent = m.stage ? m.stage : '';
		const v = Math.max(0, Math.min(100, Math.round(Number(m.progress) || 0)));
		progress.value = v;
		progressText.textContent = m.stage && isBusy(m) ? `${v} % · ${m.stage}` : `${v} %`;
		const budget = m.budget_usd === null || m.budget_usd === undefined ? 'none' : fmtUsd(m.budget_usd);
		mount(facts,
			fact('Scenes', `${m.scene_count} · ${fmtSeconds(m.total_duration_seconds)}`),
			fact('Style', m.style),
			fact('Preset', m.preset || '—'),
			fact('Continuity', m.continuity ? 'on' : 'off'),
			fact('Transition', m.transition === 'cut' ? 'cut' : `${m.transition} (${m.transition_seconds} s)`),
			fact('Title card', m.title_card ? 'yes' : 'no'),
			fact('Model', `${m.provider} · ${m.model}`),
			fact('Format', `${m.aspect_ratio} · ${m.resolution}`),
			fact('Estimated cost', fmtUsd(m.estimated_cost_usd)),
			fact('Spent', fmtUsd(m.spent_cost_usd)),
			fact('Budget', budget));
		const err = m.error && (m.error.message || m.error.code);
		errorBox.hidden = !err;
		errorBox.textContent = err ? `The last render failed: ${err}` : '';
		const b = isBusy(m);
		const hadFocus = document.activeElement;
		renderBtn.hidden = b;
		cancelBtn.hidden = !b;
		addBtn.disabled = b;
		saveBtn.disabled = b;
		busyNote.hidden = !b;
		renderBtn.disabled = m.scenes.length === 0;
		renderBtn.title = m.scenes.length === 0 ? 'Add a scene first' : '';
		// a button that just went away hands the focus to its counterpart
		if (hadFocus === renderBtn && b) cancelBtn.focus();
		if (hadFocus === cancelBtn && !b) renderBtn.focus();
	}

	let stopPoll = null;
	function ensurePoll() {
		if (stopPoll) return;
		stopPoll = scope.poll(async () => {
			const seq = mutations;
			let m;
			try {
				m = await api('GET', path, { signal: scope.signal });
			} catch (e) {
				if (e.status === 404) {
					stopPoll = null;
					toast('This movie was deleted.', 'error');
					go('#/movies');
					return false;
				}
				throw e;
			}
			if (seq === mutations) apply(m, false);
			if (!isBusy(movie)) {
				stopPoll = null;
				return false;
			}
			return true;
		}, 2000);
	}

	function apply(m, own) {
		if (own) mutations += 1;
		const wasBusy = isBusy(movie);
		movie = m;
		updateHeader(m);
		board.update(m, isBusy(m));
		updateFilm(m);
		if (!settingsDirty && !settingsForm.contains(document.activeElement)) fillSettings(m);
		if (isBusy(m)) ensurePoll();
		else if (wasBusy && !own) {
			if (m.status === 'succeeded') toast('The film is ready.');
			else if (m.status === 'failed') toast('The render failed: see the message above.', 'error');
		}
	}

	// ---- actions ----
	renderBtn.addEventListener('click', async () => {
		try {
			const m = await busy(renderBtn, api('POST', `${path}/render`));
			const focusWas = document.activeElement === renderBtn;
			apply(m, true);
			if (focusWas || document.activeElement === document.body) cancelBtn.focus();
			toast('Rendering started.');
		} catch (e) {
			showError(e);
		}
	});
	cancelBtn.addEventListener('click', async () => {
		try {
			const m = await busy(cancelBtn, api('POST', `${path}/cancel`));
			apply(m, true);
			renderBtn.focus();
			toast('Render cancelled.');
		} catch (e) {
			showError(e);
		}
	});
	addBtn.addEventListener('click', () => {
		openSceneEditor({
			movie, scene: null, durations,
			onSaved(m, added) {
				apply(m, true);
				toast(added ? `Scene ${added.position} added.` : 'Scene added.');
				if (added) board.focusCard(added.id, 'edit');
			},
		});
	});
	deleteBtn.addEventListener('click', async () => {
		if (!await confirmDialog(`Delete the movie "${movie.title}" with all its scenes and files?`, 'Delete movie')) {
			deleteBtn.focus();
			return;
		}
		try {
			await busy(deleteBtn, api('DELETE', path));
			toast('Movie deleted.');
			go('#/movies');
		} catch (e) {
			showError(e);
		}
	});

	mount(main,
		h('p', { class: 'breadcrumb' }, h('a', { href: '#/movies' }, '← Movies')),
		h('section', { class: 'movie-head card', 'aria-labelledby': 'movie-h1' },
			h('div', { class: 'movie-title-row' }, title, badge, stage),
			h('div', { class: 'progress movie-progress' }, progress, progressText),
			errorBox,
			facts,
			h('div', { class: 'actions movie-actions' }, renderBtn, cancelBtn, addBtn, deleteBtn),
			busyNote),
		settings,
		filmHolder,
		h('section', { class: 'movie-scenes', 'aria-labelledby': 'scenes-heading' },
			h('h2', { id: 'scenes-heading' }, 'Scenes'),
			board.element));
	title.id = 'movie-h1';
	fillSettings(movie);
	apply(movie, false);
}
