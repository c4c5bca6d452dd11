// Asking for the latest only: while a request runs, new wishes replace each other; when it ends,
// one more runs for the newest. Never a queue of stale requests: a slider moves faster than the
// server answers, and only where it is now matters.

/**
 * A function that runs `task` now, or once more after the running one ends if called meanwhile
 * (however many times). `task` reads what is wanted when it starts.
 * @param {() => Promise<void>} task
 */
export function latestOnly(task) {
  let running = false;
  let again = false;
  return async function request() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await task();
      } while (again);
    } finally {
      running = false;
    }
  };
}
