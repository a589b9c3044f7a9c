/**
 * Runs `run` every `intervalMs`, one run at a time (the next is timed from the end of the last);
 * a failure goes to `onError` and the schedule goes on. `stop` cancels what is not started and
 * waits for the run in progress.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  start(intervalMs: number, run: () => Promise<unknown>, onError: (e: unknown) => void): void {
    const tick = () => {
      this.running = run()
        .catch(onError)
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, intervalMs);
        });
    };
    this.timer = setTimeout(tick, intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
