// Job class for sidequest.mjs (not a peer script of its own). Sidequest runs a job by importing the
// file that exports its class (found from the stack when the job is built), so the class cannot
// live in sidequest.mjs: importing that file again would re-run, or wait on, the benchmark itself.
import { Job } from 'sidequest';

export class AddJob extends Job {
  async run(x, y) {
    return x + y;
  }
}
