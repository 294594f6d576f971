/** Kept for tests that import it: the suites live in src/testing (`taskapp/testing`). */
export { newInv } from '../../../src/testing/suites/state.js';
