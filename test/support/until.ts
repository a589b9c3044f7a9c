/**
 * Polls `what` every 50 ms until `ok` accepts its value or `ms` have passed, and returns the last
 * value either way: the caller's assertion on it says what was expected.
 */
export async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}
