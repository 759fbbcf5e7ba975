/**
 * Runs `action` at most once per `intervalMs`: a request inside the interval is not dropped but deferred to its end,
 * so the last change of a burst is always followed by one run (a trailing refetch).
 */
export class Throttle {
  private last = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly action: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  request(): void {
    if (this.timer !== null) {
      return;
    }
    const wait = this.last + this.intervalMs - this.now();
    if (wait <= 0) {
      this.run();
    } else {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.run();
      }, wait);
    }
  }

  cancel(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private run(): void {
    this.last = this.now();
    this.action();
  }
}
