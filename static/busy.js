// The server is busy (503 `busy`: no worker freed in time, or this address is over its share) and
// says when to come back (Retry-After). The page asks once more then, not at once and not again and
// again: a class whose pages retried in a loop would keep the server busy. A newer request (an
// edit, a slider move, a group opened) replaces a retry still waiting.

let waiting = null; // the retry's timer

/** Whether a request that failed with `error` may be asked again: a busy answer, on the first try. */
export function mayRetry(error, attempt) {
  return error.kind === "busy" && error.retryAfter !== null && attempt === 0;
}

/**
 * Call `again` after the error's Retry-After seconds, in place of any retry still waiting.
 * `again` itself checks that no newer request started meanwhile.
 */
export function retryLater(error, again) {
  clearTimeout(waiting);
  waiting = setTimeout(() => {
    waiting = null;
    again();
  }, error.retryAfter * 1000);
}
