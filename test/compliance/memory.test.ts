import { complianceSuite } from './suite.js';

complianceSuite({ name: 'memory', shared: false, freshConfig: () => ({ backend: 'memory' }) });
