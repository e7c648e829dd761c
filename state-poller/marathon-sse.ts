// Parsing Marathon's /v2/events stream (server-sent events) into event types, as marathon-lb reads it.
// Pure: text in, payloads and event types out; also the URL and the backoff step.

/** The events marathon-lb subscribes to; any of them means "re-fetch /v2/apps". */
export const MARATHON_LB_EVENT_TYPES: readonly string[] = ['api_post_event', 'health_status_changed_event', 'status_update_event'];

/** `<base>/v2/events?...` with the same query marathon-lb sends (Marathon >= 1.3.7 filters on event_type). */
export function eventsUrl(base: string, eventTypes: readonly string[] = MARATHON_LB_EVENT_TYPES): string {
  const query = ['plan-format=light', ...eventTypes.map((type) => `event_type=${encodeURIComponent(type)}`)].join('&');
  return `${base.replace(/\/+$/, '')}/v2/events?${query}`;
}

const MAX_LINE_CHARS = 16 * 1024 * 1024;

/**
 * Splits an SSE text stream into the data payloads of its events. Pure. Lines end in LF or CRLF; `event:`, `id:`,
 * `retry:` and `:` comment lines are ignored; a blank line ends an event (a blank line alone is a keep-alive).
 */
export class SseDataParser {
  private buffer = '';
  private data: string[] = [];

  /** Feeds a piece of text; returns the payloads of the events it completed. */
  push(text: string): string[] {
    this.buffer += text;
    // A line can only grow this long from a broken upstream; dropping it beats holding the memory forever.
    if (this.buffer.length > MAX_LINE_CHARS && !this.buffer.includes('\n')) this.buffer = '';
    const payloads: string[] = [];
    let newline = this.buffer.indexOf('\n');
    while (newline !== -1) {
      const raw = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      this.line(raw.endsWith('\r') ? raw.slice(0, -1) : raw, payloads);
      newline = this.buffer.indexOf('\n');
    }
    return payloads;
  }

  private line(line: string, payloads: string[]): void {
    if (line === '') {
      if (this.data.length > 0) payloads.push(this.data.join('\n'));
      this.data = [];
      return;
    }
    if (line.startsWith('data:')) {
      const value = line.slice(5);
      this.data.push(value.startsWith(' ') ? value.slice(1) : value);
      return;
    }
    // Marathon sometimes puts several JSON documents in one event as `{...}\r\n{...}\r\n\r\n` (marathon-lb's comment):
    // the later documents come on lines without a `data:` field, so inside an event they continue its data.
    if (this.data.length > 0 && line.startsWith('{')) this.data.push(line);
    // Anything else (event:, id:, retry:, : comments, unknown fields) does not matter to us.
  }
}

export interface PayloadEvents {
  /** eventType of each well-formed JSON document, in order. */
  readonly eventTypes: string[];
  /** Documents that were not JSON objects with a string eventType. */
  readonly malformed: number;
}

/** The eventTypes in one event payload, which may hold several JSON documents separated by line breaks. Pure. */
export function eventTypesIn(payload: string): PayloadEvents {
  const eventTypes: string[] = [];
  let malformed = 0;
  for (const piece of payload.split(/\r?\n/)) {
    if (piece.trim() === '') continue;
    let doc: unknown;
    try {
      doc = JSON.parse(piece);
    } catch {
      malformed += 1;
      continue;
    }
    const eventType = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as { eventType?: unknown }).eventType : undefined;
    if (typeof eventType === 'string') eventTypes.push(eventType);
    else malformed += 1;
  }
  return { eventTypes, malformed };
}

/** The marathon-lb backoff: wait starts at initial, grows x1.5 per failure up to max, and each sleep is random()*wait. */
export function nextBackoff(waitMs: number, initialMs: number, maxMs: number): number {
  return Math.min(Math.max(waitMs, initialMs) * 1.5, maxMs);
}
