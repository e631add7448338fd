#!/usr/bin/env node
// The graphile-worker cells of queue_drain.sh: one worker process drains N no-op jobs.
// Usage: node gw_drain.js CACHE_DIR URL N MODE
//   CACHE_DIR where queue_drain.sh installed tests/bench/package-lock.json (outside the repo)
//   URL       postgres://… of an empty database (graphile's schema is migrated here)
//   MODE      c24   concurrentJobs 24, maxPoolSize 25: one claim query and one completion
//                   per job
//             c24lq c24 + localQueue.size 500 + completeJobBatchDelay 0 +
//                   failJobBatchDelay 0 (the upstream "Performance" page configuration)
// The N jobs are queued by ONE graphile_worker.add_jobs() call (one statement), the table
// is vacuumed and analysed (as in the other cells), then runOnce() runs until the queue is
// empty.  drain = first job start to last job end (this
// process's clock).  Every job carries its number: the handler counts each one it sees,
// so a job run twice or never is reported.  With BENCH_PG_PID (the postmaster's pid) it
// also reports the CPU the cluster used while runOnce() ran.  Prints one JSON line; exits 1
// when any job was not run exactly once or any row is left in graphile_worker.jobs.
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const [cache, url, nArg, mode] = process.argv.slice(2);
if (!cache || !url || !nArg || !['c24', 'c24lq'].includes(mode)) {
	console.error('usage: node gw_drain.js CACHE_DIR URL N c24|c24lq');
	process.exit(2);
}
const req = createRequire(path.join(cache, 'package.json'));
const { Client } = req('pg');
const gw = req('graphile-worker');
const N = parseInt(nArg, 10);
const silent = new gw.Logger(() => () => {});
const pgPid = parseInt(process.env.BENCH_PG_PID || '0', 10);

// CPU clock ticks of a process and its children, the reaped ones included (the
// postmaster: every backend, the closed ones too).  Fields after the command name.
function treeTicks(pid) {
	let total = 0;
	for (const d of fs.readdirSync('/proc')) {
		if (!/^[0-9]+$/.test(d)) continue;
		let st;
		try {
			st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
		} catch {
			continue;
		}
		const f = st.slice(st.lastIndexOf(') ') + 2).split(' ');
		if (parseInt(d, 10) === pid || parseInt(f[1], 10) === pid)
			total += +f[11] + +f[12] + +f[13] + +f[14];
	}
	return total;
}

function preset() {
	const worker = { concurrentJobs: 24, maxPoolSize: 25 };
	if (mode === 'c24lq')
		Object.assign(worker, { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 });
	return { worker };
}

async function main() {
	await gw.runMigrations({ connectionString: url, logger: silent });
	const c = new Client({ connectionString: url });
	await c.connect();
	let t = Date.now();
	await c.query(`select count(*) from graphile_worker.add_jobs(array(
		select row('noop', json_build_object('i', i), null, null, null, null, null, null)::graphile_worker.job_spec
		from generate_series(0, ${N - 1}) i))`);
	const queueMs = Date.now() - t;
	// every cell of queue_drain.sh starts from a vacuumed, analysed table
	await c.query('vacuum analyze graphile_worker._private_jobs');

	const seen = new Uint8Array(N);
	let runs = 0, first = 0, last = 0;
	const pg0 = pgPid ? treeTicks(pgPid) : 0;
	const cpu0 = process.cpuUsage();
	t = Date.now();
	await gw.runOnce({
		connectionString: url,
		noHandleSignals: true,
		logger: silent,
		preset: preset(),
		taskList: {
			noop: async (payload) => {
				const now = Date.now();
				if (!first) first = now;
				last = now;
				runs++;
				const i = payload.i;
				if (Number.isInteger(i) && i >= 0 && i < N && seen[i] < 255) seen[i]++;
			},
		},
	});
	const wallMs = Date.now() - t;
	const cpu = process.cpuUsage(cpu0);
	const pgTicks = pgPid ? treeTicks(pgPid) - pg0 : -1;
	let once = 0, twice = 0;
	for (const s of seen) {
		if (s === 1) once++;
		else if (s > 1) twice++;
	}
	const left = (await c.query('select count(*)::int as n from graphile_worker.jobs')).rows[0].n;
	await c.end();
	const drainMs = Math.max(1, last - first);
	const ok = once === N && twice === 0 && left === 0;
	console.log(JSON.stringify({
		lib: 'graphile-worker ' + req('graphile-worker/package.json').version,
		pg: req('pg/package.json').version,
		mode, N, runs, once, more_than_once: twice, never: N - once - twice, rows_left: left,
		queue_ms: queueMs, wall_ms: wallMs, drain_ms: drainMs,
		jobs_per_s: Math.round((1000 * once) / drainMs),
		// CPU of runOnce (this process) and of the cluster over the same time, in ms
		client_cpu_ms: Math.round((cpu.user + cpu.system) / 1000),
		pg_cpu_ms: pgTicks < 0 ? null : Math.round((pgTicks * 1000) / 100), // USER_HZ = 100
		ok,
	}));
	process.exit(ok ? 0 : 1);
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
