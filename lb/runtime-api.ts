// Client for HAProxy's CLI sockets (the admin `stats socket … level admin`, and the master CLI opened by `-S`):
// a batch of commands over one connection in prompt mode. I/O: one unix-socket connection per run().
import { connect } from 'node:net';
import { HaproxyError } from './haproxy-errors.js';

export { inMaintenance, parseServersState, parseShowProc, type ProcEntry, type ServerState, type ShowProc } from './haproxy-cli-parse.js';

export interface RuntimeApiOptions {
  /** How long one run() may take, connecting included, before it is abandoned. Default 5000. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;
// Guards memory against a runaway answer; `show stat` for 5,000 backends is a few MB.
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;
// In prompt mode a worker ends every answer with "\n> ". The master CLI ends them with "master> ", which reads
// "master[ReloadFailed]> " after a failed reload (HAProxy 2.6). Answers are cut at these, so none may contain one;
// HAProxy's answers never start a line with "> ".
const PROMPT = /\n> |master(?:\[[^\]\n]*\])?> /;

/** Why HAProxy would not read `command` as exactly one command with exactly one answer; null when it would. */
function problemWith(command: string): string | null {
  if (/[\r\n]/.test(command)) return 'contains a line break (it would be read as several commands)';
  if (command.trim() === '') return 'is empty';
  // HAProxy splits a line at an unescaped ';' and answers each part separately, which would shift every answer after it.
  if (/(^|[^\\]);/.test(command)) return "contains ';' (send the parts as separate commands, or escape it as '\\;')";
  // A trailing "<<" opens a multi-line payload, which would swallow the commands after it.
  if (/<<\s*$/.test(command)) return "ends with '<<' (payloads need line breaks, which run() does not send)";
  const word = command.trim().split(/\s+/)[0];
  if (word === 'prompt' || word === 'quit') return 'is part of the protocol run() speaks (prompt mode, then quit)';
  return null;
}

export class RuntimeApi {
  readonly socketPath: string;
  readonly #timeoutMs: number;

  constructor(socketPath: string, options: RuntimeApiOptions = {}) {
    this.socketPath = socketPath;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * Sends the commands over ONE connection in interactive `prompt` mode and returns each command's answer, trimmed,
   * in order. A command HAProxy refuses answers with its error text, which is returned, not thrown: only the caller
   * knows whether "Can't find backend." is a failure. Rejects with a HaproxyError (code SWY_HAPROXY_RUNTIME_FAILED)
   * when the socket is unreachable, times out, or closes before every command is answered (the master CLI's
   * `reload` closes it on HAProxy 2.6, so send that alone if at all). A command with a line break, `;`, a trailing
   * `<<`, or `prompt`/`quit` rejects with a TypeError before anything is sent.
   */
  run(commands: readonly string[]): Promise<string[]> {
    for (const command of commands) {
      const problem = problemWith(command);
      if (problem !== null) return Promise.reject(new TypeError(`HAProxy CLI command ${JSON.stringify(command)} ${problem}`));
    }
    if (commands.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      const socket = connect(this.socketPath);
      const settle = (error: HaproxyError | null, answers: string[] = []): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if (error === null) resolve(answers);
        else reject(error);
      };
      const fail = (message: string, cause?: unknown): void =>
        settle(new HaproxyError('SWY_HAPROXY_RUNTIME_FAILED', `HAProxy CLI ${this.socketPath}: ${message}`, { cause }));
      const timer = setTimeout(() => fail(`no complete answer to ${commands.length} command(s) within ${this.#timeoutMs} ms`), this.#timeoutMs);

      // `quit` makes HAProxy close once everything before it is answered, so the end of the stream ends the batch.
      // The write side stays open: HAProxy may drop unanswered commands when it sees the client's FIN.
      let connected = false;
      socket.on('connect', () => {
        connected = true;
        socket.write(`prompt\n${commands.join('\n')}\nquit\n`);
      });
      socket.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) fail(`answers exceed ${MAX_ANSWER_BYTES} bytes`);
        else chunks.push(chunk);
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        const phase = connected ? 'connection failed' : 'cannot connect';
        fail(`${phase}: ${error.code ?? error.message}`, error);
      });
      socket.on('close', () => {
        if (settled) return;
        const split = splitAnswers(Buffer.concat(chunks).toString('utf8'), commands.length);
        if (typeof split === 'string') fail(split);
        else settle(null, split);
      });
    });
  }
}

/**
 * Cuts a prompt-mode transcript into `count` answers: "<prompt> answer1 <prompt> … answerN <prompt>" (the master
 * CLI adds one more prompt for `quit`). Returns a message instead when the transcript does not have that shape.
 */
export function splitAnswers(transcript: string, count: number): string[] | string {
  const pieces = transcript.split(PROMPT);
  const answered = Math.max(0, pieces.length - 2);
  if (answered < count) {
    const tail = transcript.trim().slice(-200);
    return `the connection closed after ${answered} of ${count} answers${tail === '' ? '' : `; last output: ${JSON.stringify(tail)}`}`;
  }
  const extra = pieces.slice(count + 1).some((piece) => piece.trim() !== '');
  if (extra || (pieces[0] ?? '').trim() !== '') return `cannot split the answers: expected ${count}, found ${pieces.length - 1} prompts`;
  return pieces.slice(1, count + 1).map((piece) => piece.trim());
}
