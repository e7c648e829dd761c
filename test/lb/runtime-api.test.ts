// RuntimeApi: the prompt-mode transcript split into answers, the `show proc` / `show servers state` parsers on
// recorded HAProxy 2.6 output, and the client against fake unix sockets and a real haproxy with loopback backends.
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuntimeApi, inMaintenance, parseServersState, parseShowProc, splitAnswers } from '../../lb/runtime-api.js';
import { freePorts, startEchoServer, startIdentityServer, type Backend } from '../helpers/backends.js';
import { startHaproxy, type HaproxyProcess } from '../helpers/haproxy-process.js';
import { get } from '../helpers/loopback-client.js';
import { removeFiles, tempFiles, writeConfig, type HaproxyFiles } from '../helpers/managed-haproxy-setup.js';

// Recorded from haproxy 2.6.12 (Debian 12): master CLI after one reload with a retiring worker, and after a failed one.
const SHOW_PROC = `#<PID>          <type>          <reloads>       <uptime>        <version>
27488           master          5 [failed: 0]   0d00h01m37s     2.6.12-1+deb12u4
# workers
28918           worker          0               0d00h00m01s     2.6.12-1+deb12u4
# old workers
28615           worker          1               0d00h00m15s     2.6.12-1+deb12u4
# programs
`;
const SHOW_PROC_FAILED = `#<PID>          <type>          <reloads>       <uptime>        <version>
27488           master          6 [failed: 1]   0d00h01m49s     2.6.12-1+deb12u4
# workers
28918           worker          1               0d00h00m13s     2.6.12-1+deb12u4
# programs
`;
const SERVERS_STATE = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 b 1 s1 127.0.0.1 2 0 1 1 19 1 0 2 0 0 0 0 - 28998 - 0 0 - - 0
3 b 42 d1 127.0.0.1 0 5 1 1 3 1 0 0 0 0 0 1 - 28997 - 0 0 - - 0`;

describe('parsers', () => {
  it('reads show proc: master with reload counters, current and old workers', () => {
    expect(parseShowProc(SHOW_PROC)).toEqual({
      master: { pid: 27488, type: 'master', reloads: 5, failedReloads: 0, uptime: '0d00h01m37s', version: '2.6.12-1+deb12u4' },
      workers: [{ pid: 28918, type: 'worker', reloads: 0, uptime: '0d00h00m01s', version: '2.6.12-1+deb12u4' }],
      oldWorkers: [{ pid: 28615, type: 'worker', reloads: 1, uptime: '0d00h00m15s', version: '2.6.12-1+deb12u4' }],
      programs: [],
    });
    const failed = parseShowProc(SHOW_PROC_FAILED);
    expect(failed.master.failedReloads).toBe(1);
    expect(failed.workers.map((w) => w.pid)).toEqual([28918]);
    expect(() => parseShowProc('Unknown command.')).toThrow(/not a "show proc" line/);
    expect(() => parseShowProc('')).toThrow(/no master line/);
  });

  it('reads show servers state by column name, and refuses an error reply', () => {
    const servers = parseServersState(SERVERS_STATE);
    expect(servers).toEqual([
      { backend: 'b', server: 's1', serverId: 1, address: '127.0.0.1', port: 28998, opState: 2, adminState: 0 },
      { backend: 'b', server: 'd1', serverId: 42, address: '127.0.0.1', port: 28997, opState: 0, adminState: 5 },
    ]);
    expect(servers.map(inMaintenance)).toEqual([false, true]);
    expect(parseServersState(SERVERS_STATE.split('\n').slice(0, 2).join('\n'))).toEqual([]);
    expect(() => parseServersState("Can't find backend.")).toThrow(/not a "show servers state"/);
    expect(() => parseServersState('1\n# be_id be_name\n3 b')).toThrow(/no srv_name column/);
  });

  it('splits prompt-mode transcripts of a worker and of the master CLI', () => {
    expect(splitAnswers('\n> \n> 1\n# be_id\n\n> Unknown command.\n\n> ', 3)).toEqual(['', '1\n# be_id', 'Unknown command.']);
    expect(splitAnswers('master> #<PID> …\n\nmaster> master> ', 1)).toEqual(['#<PID> …']);
    expect(splitAnswers('master[ReloadFailed]> x\nmaster[ReloadFailed]> master[ReloadFailed]> ', 1)).toEqual(['x']);
    expect(splitAnswers('master> ', 1)).toMatch(/closed after 0 of 1 answers/);
    expect(splitAnswers('\n> a\n> b\n> ', 1)).toMatch(/cannot split/);
  });
});

describe('RuntimeApi without HAProxy', () => {
  let files: HaproxyFiles;
  let server: Server | null = null;
  let connections = 0;
  beforeEach(() => {
    files = tempFiles('swy-runtime-');
    connections = 0;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve())));
    server = null;
    removeFiles(files);
  });
  const listen = (onConnection: (socket: Socket) => void): Promise<string> => {
    const path = join(files.dir, 'fake.sock');
    server = createServer((socket) => {
      connections += 1;
      socket.resume(); // read (and drop) what the client sends, so its close is seen and server.close() can finish
      onConnection(socket);
    });
    return new Promise((resolve) => server?.listen(path, () => resolve(path)));
  };

  it('refuses commands HAProxy would not answer exactly once, before connecting', async () => {
    const api = new RuntimeApi(await listen((s) => s.destroy()));
    for (const command of ['show info\nshow stat', 'show info\r', 'disable server a/b; enable server a/b', 'add map #0 <<', 'prompt', 'quit', ' ']) {
      await expect(api.run(['show info', command])).rejects.toThrow(TypeError);
    }
    expect(connections).toBe(0);
    expect(await new RuntimeApi(join(files.dir, 'absent.sock')).run([])).toEqual([]);
  });

  it('rejects with SWY_HAPROXY_RUNTIME_FAILED when the socket is missing, silent or closes early', async () => {
    await expect(new RuntimeApi(join(files.dir, 'absent.sock')).run(['show info'])).rejects.toMatchObject({
      code: 'SWY_HAPROXY_RUNTIME_FAILED',
      message: expect.stringMatching(/cannot connect: ENOENT/),
    });
    const silent = new RuntimeApi(await listen(() => undefined), { timeoutMs: 150 });
    await expect(silent.run(['show info'])).rejects.toMatchObject({ code: 'SWY_HAPROXY_RUNTIME_FAILED', message: expect.stringContaining('within 150 ms') });
  });

  it('reports a connection closed before every command was answered', async () => {
    const path = await listen((socket) => socket.end('\n> half an answer'));
    await expect(new RuntimeApi(path).run(['show info', 'show stat'])).rejects.toMatchObject({
      code: 'SWY_HAPROXY_RUNTIME_FAILED',
      message: expect.stringContaining('closed after 0 of 2 answers'),
    });
  });
});

describe('RuntimeApi against haproxy 2.6', () => {
  let files: HaproxyFiles;
  let backends: Backend[] = [];
  let haproxy: HaproxyProcess | null = null;
  let httpPort = 0;
  let api: RuntimeApi;

  beforeEach(async () => {
    files = tempFiles('swy-runtime-');
    backends = [await startIdentityServer('127.0.0.1', 'web', 'a'), await startIdentityServer('127.0.0.2', 'web', 'b'), await startEchoServer('127.0.0.3', 'e')];
    const [a, b, echo] = backends as [Backend, Backend, Backend];
    const [http = 0, tcp = 0] = await freePorts(2);
    httpPort = http;
    writeConfig(files, {
      httpPort,
      tcpPort: tcp,
      web: [{ name: 's1', host: a.host, port: a.port }],
      echo: { name: 'e1', host: echo.host, port: echo.port },
      extra: ['backend pool', '  balance roundrobin', `  server-template t 1-100 ${b.host}:${b.port} disabled`],
    });
    haproxy = await startHaproxy(files.configFile, { readyPort: httpPort });
    api = new RuntimeApi(files.adminSocket);
  });
  afterEach(async () => {
    await haproxy?.stop();
    haproxy = null;
    await Promise.all(backends.map((b) => b.close()));
    removeFiles(files);
  });

  const tasks = async (n: number): Promise<string[]> => {
    const seen: string[] = [];
    for (let i = 0; i < n; i += 1) seen.push(/task=(\w+)/.exec((await get({ port: httpPort })).body)?.[1] ?? '?');
    return [...new Set(seen)].sort();
  };

  it('add / enable / set state / del server change where requests go', async () => {
    const b = backends[1] as Backend;
    expect(await api.run([`add server web/s2 ${b.host}:${b.port} weight 1`])).toEqual(['New server registered.']);
    expect(await tasks(6)).toEqual(['a']); // a dynamic server starts in maintenance
    expect(await api.run(['enable server web/s2'])).toEqual(['']);
    expect(await tasks(6)).toEqual(['a', 'b']);
    expect(await api.run(['set server web/s1 state maint'])).toEqual(['']);
    expect(await tasks(6)).toEqual(['b']);
    expect(await api.run(['set server web/s1 state ready', 'set server web/s2 state maint', 'del server web/s2'])).toEqual(['', '', 'Server deleted.']);
    expect(await tasks(6)).toEqual(['a']);
    const [dump = ''] = await api.run(['show servers state web']);
    expect(parseServersState(dump).map((s) => s.server)).toEqual(['s1']);
  });

  it("returns HAProxy's error text for a bad command instead of rejecting, in order with the others", async () => {
    const answers = await api.run(['show servers state nope', 'no such command', 'del server web/s1', 'set server web/s1 state ready']);
    expect(answers[0]).toBe("Can't find backend.");
    expect(answers[1]).toMatch(/^Unknown command/);
    expect(answers[2]).toBe('Only servers in maintenance mode can be deleted.');
    expect(answers[3]).toBe('');
  });

  it('applies a batch of 100 set server … state ready commands over one connection', async () => {
    const commands = Array.from({ length: 100 }, (_, i) => `set server pool/t${i + 1} state ready`);
    const answers = await api.run(commands);
    expect(answers).toEqual(commands.map(() => ''));
    const [dump = ''] = await api.run(['show servers state pool']);
    const pool = parseServersState(dump);
    expect(pool).toHaveLength(100);
    expect(pool.filter(inMaintenance)).toEqual([]);
  });

  // Which `add server` keywords HAProxy 2.6.12 takes for a dynamic server (management.txt lists more; these are ours).
  it.each([
    ['id 42', 'New server registered.'],
    ['check', 'New server registered.'],
    ['check inter 500', 'New server registered.'],
    ['inter 500', 'New server registered.'],
    ['fall 2', 'New server registered.'],
    ['rise 3', 'New server registered.'],
    ['port 8080', 'New server registered.'],
    ['check fall 2 rise 3 port 8080', 'New server registered.'],
    ['weight 10', 'New server registered.'],
    ['disabled', 'New server registered.'],
    ['maxconn 10', 'New server registered.'],
    ['id 43 check inter 1s fall 2 rise 2 port 8080 weight 5 disabled maxconn 20', 'New server registered.'],
    ['cookie c1', "'cookie' option is not accepted for dynamic server"],
  ])('add server … %s → %s', async (keywords, answer) => {
    const b = backends[1] as Backend;
    expect(await api.run([`add server web/d ${b.host}:${b.port} ${keywords}`])).toEqual([answer]);
  });

  it('honours a dynamic server id and refuses a taken one', async () => {
    const b = backends[1] as Backend;
    const answers = await api.run([`add server web/d1 ${b.host}:${b.port} id 42`, `add server web/d2 ${b.host}:${b.port} id 42`, 'show servers state web']);
    expect(answers[1]).toMatch(/custom id 42 already used/);
    expect(parseServersState(answers[2] ?? '').map((s) => [s.server, s.serverId])).toEqual([['s1', 1], ['d1', 42]]);
  });
});
