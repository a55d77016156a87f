/**
 * opscron's configuration, validated against the job registry: what the CLI, the app and
 * tests load. config/ itself knows no job type; the registry is passed in here.
 */
import { loadConfig as load, parseConfig as parse, type LoadOptions } from './config/load.js';
import type { OpscronConfig } from './config/schema.js';
import { jobTypes } from './jobs/index.js';

/** Validates a parsed (and interpolated) document; throws ConfigError listing every problem. */
export function parseConfig(input: unknown, source = 'config'): OpscronConfig {
  return parse(input, jobTypes, source);
}

/** Reads, interpolates and validates the configuration file. */
export function loadConfig(options: LoadOptions = {}): Promise<OpscronConfig> {
  return load(options, jobTypes);
}
