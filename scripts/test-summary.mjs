// Prints vitest's JSON report as one plain line, "N passed, M failed[, K skipped]", for CI readers.
import { existsSync, readFileSync } from "node:fs";

const path = process.argv[2] ?? "test-results.json";
if (!existsSync(path)) {
  console.log("0 passed, 1 failed");
  console.error(`no test report at ${path}`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(path, "utf8"));
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
// A file that fails to load counts as a failure even when none of its tests ran.
const failed =
  report.numFailedTests + (report.numFailedTestSuites > 0 && report.numFailedTests === 0 ? 1 : 0);
console.log(`${report.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || report.numTotalTests === 0 ? 1 : 0);
