import { type ChildProcess, fork } from 'node:child_process';
import { studyWorkerEntry } from './fingerprint.js';
import type { StudyJob } from './jobs.js';
import type { RunnerReply } from './worker-process.js';

/**
 * One job runner process (worker-process.ts) seen from its parent: `run(job)` resolves with the
 * record or rejects with the job's error, or with the process's exit if it dies mid-job. A runner
 * that died is started again by the next `run`.
 */
export class JobRunner {
  private child: ChildProcess | undefined;
  private started: Promise<void> | undefined;

  constructor(private readonly stdio: 'inherit' | 'ignore' = 'inherit') {}

  /** Starts the process (if it is not running) and waits until its model is loaded. */
  start(): Promise<void> {
    if (this.started && this.child && this.child.exitCode === null && this.child.signalCode === null)
      return this.started;
    const child = fork(studyWorkerEntry(), [], { stdio: ['ignore', this.stdio, this.stdio, 'ipc'] });
    this.child = child;
    this.started = new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) =>
        reject(new Error(`the study job runner exited with code ${code} while starting`)),
      );
    });
    return this.started;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async run(job: StudyJob): Promise<object> {
    await this.start();
    const child = this.child!;
    return new Promise<object>((resolve, reject) => {
      const onMessage = (reply: RunnerReply) => {
        if (reply.key !== job.key) return;
        child.off('exit', onExit);
        child.off('message', onMessage);
        reply.ok ? resolve(reply.record) : reject(new Error(reply.error));
      };
      const onExit = (code: number | null, signal: string | null) => {
        child.off('message', onMessage);
        reject(new Error(`the study job runner died during ${job.key} (${signal ?? `exit code ${code}`})`));
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(job);
    });
  }

  /** Lets the process exit once it is idle; resolves with its exit code. */
  async stop(): Promise<number> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? 0;
    const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
    child.send('stop');
    return exited;
  }
}
