import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const OPS = join(__dirname, '..', '..', '..', '..', 'ops');

/** Names Prometheus makes up itself: no process exports them. */
export const PROMETHEUS_BUILTINS = new Set(['up']);

/** Every metric this service exports, and every one the rules use, starts with one of these. */
const METRIC_NAME = /\b(?:astrix|nodejs|process)_[a-zA-Z0-9_]+\b|\bup\b(?=\s*\{)/g;

/** The metric names in one PromQL expression (label values in quotes are left out). */
export function metricNamesIn(expr: string): string[] {
  return [...expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').matchAll(METRIC_NAME)].map((match) => match[0]);
}

/** Each alert rule's PromQL, by alert name, from ops/prometheus/alerts.yml. */
export function alertRuleExpressions(): Map<string, string> {
  const rules = parse(readFileSync(join(OPS, 'prometheus', 'alerts.yml'), 'utf8')) as {
    groups: Array<{ rules: Array<{ alert?: string; record?: string; expr: string }> }>;
  };
  const byName = new Map<string, string>();
  for (const group of rules.groups)
    for (const rule of group.rules) byName.set(rule.alert ?? rule.record ?? '?', String(rule.expr));
  return byName;
}

interface GrafanaPanel {
  title?: string;
  targets?: Array<{ expr?: string }>;
  panels?: GrafanaPanel[];
}

/** Each Grafana panel's queries, by panel title, from ops/grafana/astrix.json. */
export function dashboardExpressions(): Map<string, string[]> {
  const dashboard = JSON.parse(readFileSync(join(OPS, 'grafana', 'astrix.json'), 'utf8')) as {
    panels: GrafanaPanel[];
  };
  const byTitle = new Map<string, string[]>();
  const visit = (panels: GrafanaPanel[]): void => {
    for (const panel of panels) {
      const exprs = (panel.targets ?? []).flatMap((target) => (target.expr ? [target.expr] : []));
      if (exprs.length > 0) byTitle.set(panel.title ?? '?', exprs);
      visit(panel.panels ?? []);
    }
  };
  visit(dashboard.panels);
  return byTitle;
}

/** The metric families of a Prometheus text exposition, with their type (from the # TYPE lines). */
export function exportedFamilies(exposition: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const line of exposition.split('\n')) {
    const match = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (match) families.set(match[1], match[2]);
  }
  return families;
}

/** Whether a name used in a query is exported: itself, or a histogram's or summary's series. */
export function isExported(name: string, families: Map<string, string>): boolean {
  if (families.has(name)) return true;
  const series = /^(.*)_(bucket|sum|count)$/.exec(name);
  return series !== null && ['histogram', 'summary'].includes(families.get(series[1]) ?? '');
}

/** One sample's value: the series with exactly these labels (among others), summed over matches. */
export function sampleValue(exposition: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of exposition.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const text = match[2] ?? '';
    if (Object.entries(labels).every(([key, value]) => text.includes(`${key}="${value}"`))) {
      total += Number(match[3]);
      found = true;
    }
  }
  return found ? total : Number.NaN;
}
