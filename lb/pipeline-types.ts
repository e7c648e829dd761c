// The load-balancer pipeline's options, outcomes and status, as lb/pipeline.ts takes and reports them. Types only.
import type { Logger } from 'pino';
import type { Diagnostic } from '../state-poller/model.js';
import type { ChangeSummary } from './change-summary.js';
import type { Reloader } from './reloaders.js';
import type { SliceRunner } from './steps.js';
import type { RuntimeClient } from './runtime-apply.js';
import type { ViewOptions } from './view-model.js';

export interface PipelineOptions {
  readonly view: ViewOptions;
  readonly configFile: string;
  readonly haproxyBinary: string;
  readonly skipValidation: boolean;
  readonly logger: Logger;
  /**
   * Told the diagnostics of every run (bad labels, rejected apps), to log each once when it first appears: the
   * composition root passes state-poller's DiagnosticLog, which lb/ does not import (the layering rule).
   */
  readonly reportDiagnostics: (diagnostics: readonly Diagnostic[]) => void;
  /** Runs the view's and the config's steps in slices (state-poller/slices.ts's runInSlices, passed in by cli/). */
  readonly run: SliceRunner;
  /** How a written config reaches HAProxy; null: switchyard only writes the files. */
  readonly reloader: Reloader | null;
  /** The admin socket, for changes of servers only; used only together with a reloader (HAProxy's state is known). */
  readonly runtime: RuntimeClient | null;
  readonly minReloadIntervalMs: number;
  /** After this long, servers that still have connections are cut loose and deleted (hard-stop-after). */
  readonly removalDeadlineMs: number;
}

export type ApplyOutcome =
  | { readonly kind: 'waiting' }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'written'; readonly change: ChangeSummary; readonly reloaded: boolean; readonly runtime: boolean }
  | { readonly kind: 'failed'; readonly code: string; readonly message: string; readonly output: string };

export type Stamp = { readonly reasons: readonly string[]; readonly change: string; readonly at: number };

export interface PipelineStatus {
  readonly runs: number;
  readonly writes: number;
  readonly reloads: number;
  /** Changes of servers applied through the runtime API, without a reload. */
  readonly runtimeUpdates: number;
  readonly runtimeFailures: number;
  readonly failures: number;
  /** The last failure (a rejected config keeps HAProxy's own message here); null after a success. */
  readonly lastError: { readonly code: string; readonly message: string; readonly output: string; readonly at: number } | null;
  readonly lastChange: Stamp | null;
  /** The last reload and why it was needed. */
  readonly lastReload: (Stamp & { readonly why: string }) | null;
  /** Servers taken out of rotation that HAProxy still holds because connections are open on them. */
  readonly pendingRemovals: readonly string[];
  /** What the last generation left out, and why. */
  readonly diagnostics: readonly Diagnostic[];
  readonly backends: number;
}

