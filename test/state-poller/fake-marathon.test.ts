// The FakeMarathon test helper speaks Marathon's wire format (reference/marathon-lb.md §4): /v2/apps documents and
// errors, the /v2/events greeting, frames, event_type filter and dropped streams. I/O: loopback HTTP only.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { eventTypesIn, eventsUrl, SseDataParser } from '../../state-poller/marathon-sse.js';
import { FakeMarathon } from '../helpers/fake-marathon.js';

const appsDoc = JSON.parse(readFileSync(new URL('../fixtures/marathon-lb/upstream/tests/marathon15_apps.json', import.meta.url), 'utf8')) as unknown;

const fakes: FakeMarathon[] = [];
const aborts: AbortController[] = [];
afterEach(async () => {
  for (const abort of aborts.splice(0)) abort.abort();
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

async function fake(): Promise<FakeMarathon> {
  const started = await FakeMarathon.start();
  fakes.push(started);
  return started;
}

/** Opens an event stream and collects its text; `until` waits for the collected text to match. */
async function openEvents(url: string) {
  const abort = new AbortController();
  aborts.push(abort);
  const response = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: abort.signal });
  let text = '';
  let ended: string | null = null;
  const reader = response.body?.getReader();
  if (reader === undefined) throw new Error('no body');
  const decoder = new TextDecoder();
  const pump = async (): Promise<void> => {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) return;
      text += decoder.decode(chunk.value, { stream: true });
    }
  };
  void pump().then(
    () => (ended = 'end'),
    (error: unknown) => (ended = error instanceof Error ? error.message : String(error)),
  );
  const until = async (check: (all: string) => boolean, what: string): Promise<string> => {
    const deadline = Date.now() + 2_000;
    while (!check(text)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(text)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return text;
  };
  return { response, until, ended: () => ended, text: () => text };
}

describe('FakeMarathon', () => {
  it('serves the apps document at /v2/apps whatever the query, raw answers until setApps, 404/405 as JSON', async () => {
    const marathon = await fake();
    expect(marathon.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${marathon.url}/v2/apps`)).json()).toEqual({ apps: [] });

    marathon.setApps(appsDoc);
    const response = await fetch(`${marathon.url}/v2/apps?embed=apps.tasks`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual(appsDoc);

    marathon.setRaw(503, '{"message":"no leader"}');
    const failed = await fetch(`${marathon.url}/v2/apps?embed=apps.tasks`);
    expect([failed.status, await failed.text()]).toEqual([503, '{"message":"no leader"}']);
    marathon.setApps({ apps: [] });
    expect(await (await fetch(`${marathon.url}/v2/apps`)).json()).toEqual({ apps: [] });
    expect(marathon.appsRequests).toBe(4);

    const missing = await fetch(`${marathon.url}/v2/tasks`);
    expect([missing.status, await missing.json()]).toEqual([404, { message: 'HTTP 404 Not Found' }]);
    const post = await fetch(`${marathon.url}/v2/apps`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(await post.json()).toHaveProperty('message');
    expect(marathon.appsRequests).toBe(4);
  });

  it('greets each stream with event_stream_attached and writes events in Marathon frames', async () => {
    const marathon = await fake();
    const stream = await openEvents(`${marathon.url}/v2/events`);
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream');
    await stream.until((t) => t.endsWith('\n\n'), 'the greeting');
    expect(stream.text()).toMatch(/^event: event_stream_attached\ndata: \{"remoteAddress":"127\.0\.0\.1","eventType":"event_stream_attached","timestamp":"[^"]+"\}\n\n$/);
    expect([marathon.eventConnections, marathon.openStreams, marathon.lastEventsQuery]).toEqual([1, 1, '']);

    marathon.sendEvent('status_update_event', { appId: '/good/app', taskStatus: 'TASK_RUNNING', timestamp: '2024-02-01T00:00:03.000Z' });
    const text = await stream.until((t) => t.includes('status_update_event\n'), 'the event');
    expect(text.slice(text.indexOf('event: status_update_event'))).toBe(
      'event: status_update_event\ndata: {"appId":"/good/app","taskStatus":"TASK_RUNNING","eventType":"status_update_event","timestamp":"2024-02-01T00:00:03.000Z"}\n\n',
    );
    // What the real client's parser makes of it.
    const parser = new SseDataParser();
    expect(parser.push(text).flatMap((payload) => eventTypesIn(payload).eventTypes)).toEqual(['event_stream_attached', 'status_update_event']);
  });

  it('honours the event_type filter (Marathon >= 1.3.7) and records the query; drops streams on demand', async () => {
    const marathon = await fake();
    const filtered = await openEvents(eventsUrl(marathon.url));
    expect(marathon.lastEventsQuery).toBe('plan-format=light&event_type=api_post_event&event_type=health_status_changed_event&event_type=status_update_event');
    const everything = await openEvents(`${marathon.url}/v2/events`);
    await filtered.until((t) => t.includes('event_stream_attached'), 'the greeting (filtered)');
    await everything.until((t) => t.includes('event_stream_attached'), 'the greeting (unfiltered)');
    expect(marathon.lastEventsQuery).toBe('');

    marathon.sendEvent('deployment_success', { id: 'd-1' });
    marathon.sendEvent('api_post_event', { uri: '/v2/apps/good/app' });
    await everything.until((t) => t.includes('api_post_event\n'), 'both events on the unfiltered stream');
    await filtered.until((t) => t.includes('api_post_event\n'), 'the subscribed event on the filtered stream');
    expect(everything.text()).toContain('event: deployment_success\n');
    expect(filtered.text()).not.toContain('deployment_success');

    expect([marathon.eventConnections, marathon.openStreams]).toEqual([2, 2]);
    marathon.dropStreams();
    expect(marathon.openStreams).toBe(0);
    await filtered.until(() => filtered.ended() !== null, 'the client to see the stream die');
    expect(filtered.ended()).not.toBe('end');
    expect(marathon.eventConnections).toBe(2);
  });
});
