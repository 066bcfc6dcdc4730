/** Work the response does not wait for. */
export type AfterResponse = (work: () => Promise<unknown>) => void;

/**
 * Runs `work` once the response is out: in waitUntil, after a tick, so that its queries start
 * after the handler returned and never alongside the request's own.
 */
export function afterResponseOf(ctx: Pick<ExecutionContext, "waitUntil">): AfterResponse {
  return (work) => ctx.waitUntil(scheduler.wait(0).then(work));
}
