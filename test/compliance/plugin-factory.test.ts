/**
 * backendSuite's function form (taskapp/testing), as a plugin author with a backend of every role
 * calls it: the built-in memory backend's factory, passed as a function, registered under a name
 * of its own and run through the suites for every role. (test/compliance/memory.test.ts runs the
 * whole suite on it by its built-in name.)
 */
import {
  brokerSuite,
  engineSuite,
  harnessFor,
  orchestratorSuite,
  stateSuite,
} from 'taskapp/testing';
import { createMemoryBackend } from '../../src/backends/memory/index.js';

const h = harnessFor('memory from a factory', createMemoryBackend);
brokerSuite(h);
stateSuite(h);
orchestratorSuite(h);
engineSuite(h);
