/**
 * Libraries only some processes need, loaded on first use rather than by every `import 'taskapp'`:
 * a runner whose app passes its config in code never searches for a config file (cosmiconfig and
 * its YAML/JSON parsers) and may see no TOML at all (smol-toml). Both are required synchronously
 * because config is resolved from a getter.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

let tomlModule: typeof import('smol-toml') | undefined;
let cosmiconfigModule: typeof import('cosmiconfig') | undefined;

export function smolToml(): typeof import('smol-toml') {
  return (tomlModule ??= require('smol-toml') as typeof import('smol-toml'));
}

export function cosmiconfig(): typeof import('cosmiconfig') {
  return (cosmiconfigModule ??= require('cosmiconfig') as typeof import('cosmiconfig'));
}
