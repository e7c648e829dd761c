// Test helper: the problems the config validator reports for a raw document. Pure.
import { expect } from 'vitest';
import { ConfigError, parseConfig } from '../../cli/config.js';

/** The problems parseConfig reports for `raw`, or [] when it is valid. */
export function problemsOf(raw: unknown): { path: string; message: string }[] {
  try {
    parseConfig(raw, 'test.json');
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
}

export const pathsOf = (raw: unknown): string[] => problemsOf(raw).map((p) => p.path);
