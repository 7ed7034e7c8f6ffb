/**
 * A vitest reporter for CI (`.ci/run` sets RAVEN_TEST_RETRY, see vitest.config.ts): names every
 * test that failed and then passed when retried, with the error of the failed attempt, as lines
 * starting `ci-flaky:` that `.ci/run` repeats at the end of its output. A retried test is a bug to
 * find (a race, a timing assumption), not a pass to forget.
 * @module
 */
import type { Reporter, TestCase } from 'vitest/node';

export default class FlakyReporter implements Reporter {
  onTestCaseResult(test: TestCase): void {
    const d = test.diagnostic();
    if (d === undefined || d.retryCount === 0) return;
    const r = test.result();
    const first = r.errors?.[0];
    const why = first ? `: ${String(first.message ?? first).split('\n')[0]}` : '';
    console.log(`ci-flaky: |${test.project.name}| ${test.module.moduleId.replace(`${process.cwd()}/`, '')} > ${test.fullName} (${r.state} after ${d.retryCount} retr${d.retryCount === 1 ? 'y' : 'ies'}${why})`);
  }
}
