/** Kept for compliance files that import it: the suites live in src/testing (`taskapp/testing`). */
export { complianceSuite } from '../../src/testing/suite.js';
