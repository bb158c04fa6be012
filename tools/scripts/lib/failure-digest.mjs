// What a failed `pnpm test` repeats at its very end. Nx streams every project's output interleaved,
// so a failure printed early (the chaos verdict, a failed spec) scrolls far above the last lines a
// CI log viewer shows. The digest keeps, per project, the lines that say what failed and the last
// few lines, and prints them again for the failed tasks only.

// Nx's stream prefix: "@astrix/api: ", "@astrix/chaos: ".
const PREFIXED = /^(@[\w.-]+\/[\w.-]+): ?(.*)$/;
const FAILED_TASK = /^\s*-\s+(@[\w.-]+\/[\w.-]+):([\w:.-]+)\s*$/;
// Lines that name a failure: Jest's FAIL and ● headers, node:test's "not ok", tsc's and ESLint's
// errors, the chaos verdict. Not any line with "error" in it: passing tests log expected errors.
const TELLING =
  /^\s*(FAIL\s|●\s)|^\s*not ok\b|\berror TS\d+|^\s+\d+:\d+\s+error\s|\d+ finding\(s\)|the harness failed|\] (failed|FAILED):/;
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

export class FailureDigest {
  /**
   * @param {{ tellingLines?: number, lastLines?: number, lineChars?: number }} [limits]
   */
  constructor({ tellingLines = 30, lastLines = 25, lineChars = 300 } = {}) {
    this.limits = { tellingLines, lastLines, lineChars };
    /** @type {Map<string, { telling: string[], last: string[] }>} */
    this.projects = new Map();
    /** @type {string[]} "project:target" as Nx lists them under "Failed tasks:". */
    this.failedTasks = [];
    this.partial = '';
  }

  /** Feeds a chunk of the run's output (any split, colours or not). */
  add(chunk) {
    const text = this.partial + String(chunk);
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.addLine(line);
  }

  /** @param {string} raw */
  addLine(raw) {
    const line = raw.replace(ANSI, '').replace(/\r$/, '');
    const task = FAILED_TASK.exec(line);
    if (task) {
      this.failedTasks.push(`${task[1]}:${task[2]}`);
      return;
    }
    const prefixed = PREFIXED.exec(line);
    if (!prefixed) return;
    const [, project, rest] = prefixed;
    const text = rest.length > this.limits.lineChars ? `${rest.slice(0, this.limits.lineChars)}…` : rest;
    let kept = this.projects.get(project);
    if (!kept) {
      kept = { telling: [], last: [] };
      this.projects.set(project, kept);
    }
    // Jest repeats each failure's header in its closing summary: kept once.
    if (TELLING.test(text) && kept.telling.length < this.limits.tellingLines && !kept.telling.includes(text))
      kept.telling.push(text);
    kept.last.push(text);
    if (kept.last.length > this.limits.lastLines) kept.last.shift();
  }

  /** The digest to print after a failed run: empty when Nx named no failed task. */
  render() {
    if (this.partial) {
      this.addLine(this.partial);
      this.partial = '';
    }
    if (this.failedTasks.length === 0) return '';
    const out = ['', `── Failed tasks, repeated from above: ${this.failedTasks.join(', ')}`];
    for (const task of this.failedTasks) {
      const project = task.slice(0, task.indexOf(':'));
      const kept = this.projects.get(project);
      out.push(`── ${task}`);
      if (!kept) {
        out.push('   (no output of its own)');
        continue;
      }
      if (kept.telling.length > 0) {
        out.push('   what failed:');
        for (const line of kept.telling) out.push(`   ${line}`);
      }
      out.push('   its last lines:');
      for (const line of kept.last) out.push(`   ${line}`);
    }
    return `${out.join('\n')}\n`;
  }
}
