import { complianceSuite } from 'taskapp/testing';

complianceSuite({ name: 'memory', shared: false, freshConfig: () => ({ backend: 'memory' }) });
