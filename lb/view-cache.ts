// Builds views incrementally: an app whose object (normalizeMarathon keeps unchanged apps' objects) and dependencies
// are the same as in the last generation keeps its services, and each such service keeps its view, so a task event
// costs in proportion to what changed. Pure in effect (the same view as buildView), with a cache of two generations.
import type { MarathonApp } from '../state-poller/model.js';
import type { BuiltService } from './service-view.js';
import type { AppServices, Service } from './services.js';
import type { HealthCache } from './tasks.js';
import { finish } from './steps.js';
import { buildViewSteps, type Exclusion, type ViewInput, type ViewMemo, type ViewOptions } from './view-model.js';
import type { HaproxyView } from './view-types.js';

/** Entries of the generation being built and of the one before it; anything older is dropped. */
class Generations<K, V> {
  private previous = new Map<K, V>();
  private current = new Map<K, V>();

  begin(): void {
    this.previous = this.current;
    this.current = new Map();
  }

  get(key: K): V | undefined {
    const value = this.current.get(key) ?? this.previous.get(key);
    if (value !== undefined) this.current.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.current.set(key, value);
  }
}

type Exclusions = ReadonlyMap<string, Exclusion>;

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export class ViewCache implements ViewMemo {
  private readonly appEntries = new Generations<MarathonApp, { key: string; value: AppServices }>();
  private readonly serviceEntries = new Generations<Service, { siblings: readonly Service[]; key: string; built: BuiltService }>();

  readonly apps = {
    get: (app: MarathonApp, key: string): AppServices | undefined => {
      const entry = this.appEntries.get(app);
      return entry !== undefined && entry.key === key ? entry.value : undefined;
    },
    set: (app: MarathonApp, key: string, value: AppServices): void => this.appEntries.set(app, { key, value }),
  };

  /** `options` hold for every view this cache builds (lb.* of one config); only the exclusions vary. */
  constructor(private readonly options: ViewOptions) {}

  build(input: ViewInput, exclude: Exclusions, cache: HealthCache): HaproxyView {
    return finish(this.buildSteps(input, exclude, cache));
  }

  /** build() as steps (buildViewSteps). One generation at a time: the next may start only once this one returned. */
  *buildSteps(input: ViewInput, exclude: Exclusions, cache: HealthCache): Generator<void, HaproxyView> {
    this.appEntries.begin();
    this.serviceEntries.begin();
    return yield* buildViewSteps(input, { ...this.options, exclude }, cache, this);
  }

  getService(service: Service, siblings: readonly Service[], key: string): BuiltService | undefined {
    const entry = this.serviceEntries.get(service);
    return entry !== undefined && entry.key === key && sameList(entry.siblings, siblings) ? entry.built : undefined;
  }

  setService(service: Service, siblings: readonly Service[], key: string, built: BuiltService): void {
    this.serviceEntries.set(service, { siblings: [...siblings], key, built });
  }
}
