// Cost estimates on the client, from the prices GET /api/v1/providers lists: a generation
// costs duration × the model's price per second (the 1080p price when the resolution is
// 1080p and that price is above 0); a movie costs the sum over its scenes. The server's
// estimated_cost_usd is the one that counts once the video or movie exists.
import { api } from './api.js';

// loadProviders(signal): the providers answer, or throws the ApiError (the form then says
// what went wrong and lets the server choose).
export async function loadProviders(signal) {
	const res = await api('GET', '/api/v1/providers', { signal });
	return {
		default: res.default || (res.items && res.items[0] && res.items[0].id) || null,
		planner: res.planner || 'local',
		enhance_prompt: !!res.enhance_prompt,
		items: Array.isArray(res.items) ? res.items : [],
	};
}

export function providerById(providers, id) {
	if (!providers) return null;
	return providers.items.find((p) => p.id === id) || null;
}

// modelFor(providers, providerId, modelId): the model object; the provider's default model
// when modelId is empty or unknown.
export function modelFor(providers, providerId, modelId) {
	const p = providerById(providers, providerId);
	if (!p || !Array.isArray(p.models)) return null;
	return p.models.find((m) => m.id === modelId) ||
		p.models.find((m) => m.id === p.default_model) || p.models[0] || null;
}

// pricePerSecond(model, resolution): USD per second of video.
export function pricePerSecond(model, resolution) {
	if (!model) return null;
	const hd = Number(model.price_usd_per_second_1080p) || 0;
	if (resolution === '1080p' && hd > 0) return hd;
	return Number(model.price_usd_per_second) || 0;
}

// estimate(model, resolution, durations): {usd, seconds, perSecond, free} for generations
// of those lengths (one number for a video, one per scene for a movie); null without a model.
export function estimate(model, resolution, durations) {
	const perSecond = pricePerSecond(model, resolution);
	if (perSecond === null) return null;
	const seconds = durations.reduce((s, d) => s + (Number(d) || 0), 0);
	const usd = Math.round(seconds * perSecond * 100) / 100;
	return { usd, seconds, perSecond, free: perSecond === 0 };
}

export function fmtPrice(perSecond) {
	if (!perSecond) return 'free';
	return `$${perSecond.toFixed(3).replace(/0$/, '')}/s`;
}

// estimateText(est, budget): {text, over} — what the estimate output shows, and whether it
// is above the budget (a number of USD, or null/'' for none).
export function estimateText(est, budget) {
	if (!est) return { text: 'No estimate: the price of this model is unknown.', over: false };
	if (est.free) return { text: `Estimated cost: free (local preview) · ${est.seconds} s of video`, over: false };
	const b = budget === null || budget === undefined || budget === '' ? null : Number(budget);
	const over = b !== null && Number.isFinite(b) && est.usd > b;
	let text = `Estimated cost: $${est.usd.toFixed(2)} (${est.seconds} s × ${fmtPrice(est.perSecond)})`;
	if (over) text += ` — more than the budget of $${b.toFixed(2)}: the render will be refused until the budget is raised or the movie made cheaper`;
	return { text, over };
}
