import { describe, expect, it } from 'vitest';
import { ownScriptsEntry } from '../../../src/cli/install-source.js';

describe("taskapp's own allowScripts entry in a new project", () => {
  it('denies its prepare where it comes built: the registry (by name) or a packed tarball (by spec)', () => {
    expect(ownScriptsEntry('taskapp', '^0.1.0')).toEqual(['taskapp', false]);
    expect(ownScriptsEntry('taskapp', 'file:/x/taskapp-0.1.0.tgz')).toEqual([
      'file:/x/taskapp-0.1.0.tgz',
      false,
    ]);
  });

  it('leaves a git install (built by its prepare) and a linked folder to npm', () => {
    expect(ownScriptsEntry('taskapp', 'git+https://example.com/taskapp.git')).toBeUndefined();
    expect(ownScriptsEntry('taskapp', 'file:/work/taskapp')).toBeUndefined();
  });
});
