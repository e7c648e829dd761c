// The structural path's install: validate and install a generation's config, and when HAProxy blames particular
// apps, leave them out and try again (bounded by the number of distinct bad apps, not by the number of apps).
// I/O through the installer (files, `haproxy -c`); the view is rebuilt by the caller's function.
import { culpritsOf } from './culprits.js';
import { install, type InstallOptions } from './installer.js';
import type { RenderedConfig } from './render.js';
import { serviceFingerprint, type Exclusion } from './view-model.js';
import type { HaproxyView } from './view-types.js';

/** How many times one run may leave out the apps HAProxy blamed and try again. */
const MAX_EXCLUSION_PASSES = 5;

/** The services left out, by backend (the pipeline keeps them between generations; a pass adds to them). */
export type Exclusions = Map<string, Exclusion>;

export type PassesOutcome =
  | { readonly kind: 'same' | 'installed'; readonly view: HaproxyView }
  | { readonly kind: 'rejected'; readonly code: string; readonly message: string; readonly output: string };

export interface Passes {
  readonly options: InstallOptions;
  /** Renders the view (in slices, as the pipeline does it). */
  readonly render: (view: HaproxyView) => Promise<RenderedConfig>;
  /** Builds the generation again with `exclude` (which this adds the blamed apps to). */
  readonly rebuild: (exclude: Exclusions) => Promise<HaproxyView>;
  readonly warn: (details: Record<string, unknown>, message: string) => void;
}

/** `same`: the files on disk are already this view's (nothing was written). Throws when a file cannot be written. */
export async function installPasses(passes: Passes, first: HaproxyView, exclude: Exclusions): Promise<PassesOutcome> {
  let view = first;
  for (let pass = 0; ; pass++) {
    const text = await passes.render(view);
    const verdict = await install(passes.options, text);
    if (verdict.ok) return { kind: verdict.same ? 'same' : 'installed', view };
    const backends = new Set(view.services.map((s) => s.backend));
    const culprits = verdict.code === 'SWY_HAPROXY_CONFIG_INVALID' && pass < MAX_EXCLUSION_PASSES ? culpritsOf(verdict.output, verdict.checked, text.lineOwners, backends) : null;
    // A complaint about most apps at once is a shared template's fault, not theirs: nothing is excluded then.
    if (culprits === null || culprits.size > Math.max(1, Math.floor(view.services.length / 2))) return { kind: 'rejected', code: verdict.code, message: verdict.message, output: verdict.output };
    for (const backend of culprits) {
      const service = view.services.find((s) => s.backend === backend);
      if (service !== undefined) exclude.set(backend, { fingerprint: serviceFingerprint(service), reason: verdict.message });
    }
    passes.warn({ code: verdict.code, backends: [...culprits], err: verdict.message }, 'HAProxy rejected the lines of some apps; generating again without them');
    view = await passes.rebuild(exclude);
  }
}
