/** Whether a D1 failure (possibly wrapped by Drizzle) is a UNIQUE violation of `target` (a column or index). */
export function isUniqueViolation(error: unknown, target: string): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current.message.includes("UNIQUE constraint failed") && current.message.includes(target)) return true;
  }
  return false;
}
