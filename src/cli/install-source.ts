/**
 * What the running copy of taskapp was installed from, as a dependency spec for a new project
 * (`taskapp init`): the same tarball or folder (as an absolute `file:` path, since the new project
 * lives elsewhere), or a version range when it came from a registry.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';

type Json = Record<string, unknown>;

function readJson(path: string): Json | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Json;
  } catch {
    return undefined;
  }
}

/** `file:<relative>` as written in `base`'s package.json or lock, made absolute; other specs as is. */
function absolute(spec: string, base: string): string {
  if (!spec.startsWith('file:')) {
    return spec;
  }
  const path = spec.slice('file:'.length);
  return `file:${isAbsolute(path) ? path : resolve(base, path)}`;
}

/** A spec a registry answers: a version or range, not a path, URL, git or alias. */
const isRegistrySpec = (spec: string) => !/^(file:|link:|git|https?:|npm:|[./~])/.test(spec);

/**
 * `root`: the folder of the running taskapp (its package.json). Outside any node_modules it is a
 * checkout or a folder npm linked (file:<folder> installs are symlinks, resolved here): depend on
 * that folder. Inside one, the consuming project's package.json says what was asked for, and its
 * package-lock's `resolved` what was installed.
 */
export function installSpec(root: string, name: string, version: string): string {
  const parts = root.split(sep);
  const nm = parts.lastIndexOf('node_modules');
  if (nm < 0) {
    return `file:${root}`;
  }
  const project = parts.slice(0, nm).join(sep) || sep;
  const pkg = readJson(join(project, 'package.json'));
  const asked = (['dependencies', 'devDependencies', 'optionalDependencies'] as const)
    .map((k) => (pkg?.[k] as Record<string, string> | undefined)?.[name])
    .find((s): s is string => typeof s === 'string');
  if (asked && !isRegistrySpec(asked)) {
    return absolute(asked, project);
  }
  const lock = readJson(join(project, 'package-lock.json'));
  const entry = (lock?.packages as Record<string, Json> | undefined)?.[`node_modules/${name}`];
  const resolved = typeof entry?.resolved === 'string' ? entry.resolved : undefined;
  if (resolved?.startsWith('file:')) {
    const spec = absolute(resolved, project);
    if (existsSync(spec.slice('file:'.length))) {
      return spec;
    }
  }
  return `^${version}`;
}

/**
 * taskapp's own entry in a new project's allowScripts (npm 11), or none: its `prepare` (a build)
 * never needs to run where the package comes built, from the registry (keyed by name) or a packed
 * tarball (keyed by its spec); npm 11 would otherwise warn of it at each install. A git install
 * builds through it, and a folder is linked: those stay npm's to decide.
 */
export function ownScriptsEntry(name: string, spec: string): [string, false] | undefined {
  if (isRegistrySpec(spec)) {
    return [name, false];
  }
  return /^file:.*\.(tgz|tar\.gz)$/.test(spec) ? [spec, false] : undefined;
}
