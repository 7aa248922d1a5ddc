// CPU per thread of one `load` process in steady state, for docs/scale.md: starts
// `local-router` (or uses --url), runs `load --signaling websocket` with N bots at a rate,
// and reads utime+stime of every thread of the load process (/proc/<pid>/task/*/stat)
// at the start and the end of a window after the ramp-up, grouped by thread name.
//
//   node scripts/thread-cpu.mjs --bots 500 --rate 1 [--window 20] [--cli <main.js>] [--url ws://...]
//
// Prints one JSON line: CPU in cores per thread group and µs per bot-second.

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    bots: { type: 'string', default: '500' },
    rate: { type: 'string', default: '1' },
    window: { type: 'string', default: '20' },
    settle: { type: 'string', default: '5' },
    'ramp-up': { type: 'string' },
    cli: { type: 'string', default: 'packages/mediasoup-data-producer-cli/dist/cjs/main.js' },
    url: { type: 'string' },
    'node-arg': { type: 'string', multiple: true, default: [] },
  },
});
const bots = Number(values.bots);
const windowS = Number(values.window);
const settleS = Number(values.settle);
const rampS = Number(values['ramp-up'] ?? Math.max(1, Math.ceil(bots / 100)));
const TICK = 100; // USER_HZ on Linux

function threads(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out.set(tid, { comm: tid === String(pid) ? 'main' : comm, ticks });
    } catch {
      // A thread that ended meanwhile.
    }
  }
  return out;
}

function group(comm) {
  if (comm === 'main') return 'node main';
  if (comm === 'RTC worker') return 'libdatachannel RTC workers';
  if (comm === 'RTC poll') return 'libdatachannel poll';
  if (/juice/i.test(comm)) return 'libjuice poll';
  if (comm === 'SCTP timer') return 'usrsctp timer';
  if (/SCTP/.test(comm)) return `usrsctp (${comm})`;
  if (/libuv/.test(comm)) return 'libuv pool';
  if (/V8|node/.test(comm)) return 'V8/node helpers';
  return `other (${comm})`;
}

function loadAvg() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

let router;
let url = values.url;
if (!url) {
  router = spawn(
    process.execPath,
    ['packages/mediasoup-data-producer-cli/dist/cjs/main.js', 'local-router', '--port', '0'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  url = await new Promise((resolve, reject) => {
    let text = '';
    router.stdout.on('data', (chunk) => {
      text += chunk;
      const match = /ws:\/\/[\d.]+:\d+/.exec(text);
      if (match) resolve(match[0]);
    });
    router.on('exit', () => reject(new Error(`local-router exited: ${text}`)));
  });
}
const duration = rampS + settleS + windowS + 3;
const json = join(mkdtempSync(join(tmpdir(), 'thread-cpu-')), 'report.json');
const load = spawn(
  process.execPath,
  [
    ...values['node-arg'],
    values.cli,
    'load',
    '--signaling',
    'websocket',
    '--signaling-url',
    url,
    '-t',
    String(bots),
    '-r',
    values.rate,
    '-d',
    String(duration),
    '--ramp-up',
    String(rampS),
    '--no-progress',
    '--no-report',
    '--json',
    json,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
let output = '';
load.stdout.on('data', (chunk) => {
  output += chunk;
});
const exited = new Promise((resolve) => load.on('exit', resolve));
await sleep((rampS + settleS) * 1000);
const before = threads(load.pid);
const t0 = performance.now();
await sleep(windowS * 1000);
const after = threads(load.pid);
const seconds = (performance.now() - t0) / 1000;
const byGroup = {};
let total = 0;
for (const [tid, { comm, ticks }] of after) {
  const delta = ticks - (before.get(tid)?.ticks ?? 0);
  const cores = delta / TICK / seconds;
  byGroup[group(comm)] = (byGroup[group(comm)] ?? 0) + cores;
  total += cores;
}
const code = await exited;
router?.kill('SIGINT');
// Messages sent per second in the window's whole seconds (the run's timeline, from its start).
const { timeline, summary } = JSON.parse(readFileSync(json, 'utf8'));
const inWindow = timeline.filter(
  ({ t }) => t >= rampS + settleS + 1 && t <= rampS + settleS + windowS - 1,
);
const sentPerSecond =
  inWindow.reduce((n, { sentMessages }) => n + sentMessages, 0) / Math.max(1, inWindow.length);
const lost = /lost\s+(\S+)/.exec(output)?.[1];
const opened = /transports\s+(\S+ opened of \S+)/.exec(output)?.[1];
const round = (x) => Math.round(x * 1000) / 1000;
console.log(
  JSON.stringify({
    cli: values.cli,
    bots,
    rate: Number(values.rate),
    windowS: round(seconds),
    loadavg: loadAvg(),
    exit: code,
    opened,
    lost,
    sentPerSecond: Math.round(sentPerSecond),
    connectP99Ms: summary?.connectMs?.p99,
    totalCores: round(total),
    usPerBotSecond: Math.round((total * 1e6) / bots / (Number(values.rate) > 0 ? 1 : 1)),
    cores: Object.fromEntries(Object.entries(byGroup).map(([k, v]) => [k, round(v)])),
  }),
);
