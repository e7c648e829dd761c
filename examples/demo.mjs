// `npm run demo`: `npm start` plus stand-ins for the sample cluster's tasks (demo-tasks.mjs), so the README tour's
// curl lines through HAProxy answer. I/O: listens on loopback, runs npm start, polls HAProxy's stats page.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readApps, startTaskServers } from './demo-tasks.mjs';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const { lb } = JSON.parse(readFileSync(new URL('switchyard.json', import.meta.url), 'utf8'));
const statsCsv = `http://${lb.bindAddress}:${lb.statsPort}/haproxy?stats;csv`;
const say = (line) => process.stderr.write(`demo: ${line}\n`);

const tasks = await startTaskServers(readApps());
for (const e of tasks.endpoints) say(`${e.taskId} (${e.appId}) listening on ${e.mode} ${e.ip}:${e.port}`);

// npm start exactly as a user runs it (its prestart builds first); npm passes our SIGTERM on to switchyard.
const npm = process.env.npm_execpath;
const child = npm
  ? spawn(process.execPath, [npm, 'start'], { cwd: repoRoot, stdio: 'inherit' })
  : spawn('npm', ['start'], { cwd: repoRoot, stdio: 'inherit' });
const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));

/** True when HAProxy's stats page lists servers and every one is UP (or unchecked). */
async function routing() {
  try {
    const response = await fetch(statsCsv, { signal: AbortSignal.timeout(1000) });
    if (!response.ok) return false;
    const [header = '', ...lines] = (await response.text()).split('\n').filter(Boolean);
    const status = header.replace(/^# /, '').split(',').indexOf('status');
    const servers = lines.map((line) => line.split(',')).filter(([, name]) => name !== 'FRONTEND' && name !== 'BACKEND');
    return servers.length > 0 && servers.every((row) => /^(UP|no check)/.test(row[status] ?? ''));
  } catch {
    return false;
  }
}

let stopping = false;
const ready = (async () => {
  const deadline = Date.now() + 60_000;
  while (!stopping && Date.now() < deadline) {
    if (await routing()) {
      say(`ready: HAProxy routes to every stand-in. Try: curl -s -H 'Host: web.example.test' http://${lb.bindAddress}:${lb.httpPort}/`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  if (!stopping) say(`HAProxy does not route to the stand-ins after 60 s (is haproxy installed? apt-get install -y haproxy); see the log above`);
})();

async function stop(code) {
  stopping = true;
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const childCode = await exited;
  clearTimeout(timer);
  await Promise.all([tasks.close(), ready]);
  process.exit(code ?? childCode);
}

process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));
// switchyard stopped by itself (a bad config, a port in use): take the stand-ins down too.
void exited.then((code) => {
  if (!stopping) {
    say(`npm start exited (${code}); stopping the stand-ins`);
    void stop(code);
  }
});
