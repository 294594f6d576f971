/** Kept for tests that import it: the harness lives in src/testing (`taskapp/testing`). */
export { openBackends, type BackendHarness } from '../../src/testing/harness.js';
