import { invalidRequest } from './api-error';

/** A Stripe request body or query: `a[b][0][c]=v` decoded into nested objects and arrays. */
export type FormValue = string | FormValue[] | FormFields;
export interface FormFields {
  [name: string]: FormValue;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Decodes Stripe's form encoding (bracket notation, indexed or `[]` arrays). */
export function decodeForm(encoded: string): FormFields {
  const root: FormFields = {};
  for (const [key, value] of new URLSearchParams(encoded)) {
    assignPath(root, splitKey(key), value);
  }
  return arraysFromIndexedObjects(root);
}

function splitKey(key: string): string[] {
  const bracket = key.indexOf('[');
  if (bracket === -1) return [key];
  const segments = [key.slice(0, bracket)];
  for (const match of key.slice(bracket).matchAll(/\[([^\]]*)\]/g)) segments.push(match[1] ?? '');
  return segments;
}

function assignPath(root: FormFields, path: string[], value: string): void {
  let node = root;
  path.forEach((segment, index) => {
    if (FORBIDDEN_KEYS.has(segment)) throw invalidRequest(`Invalid parameter name: ${path.join('.')}`);
    // `expand[]=a&expand[]=b` appends: the next free index.
    const key = segment === '' ? String(Object.keys(node).length) : segment;
    if (index === path.length - 1) {
      node[key] = value;
      return;
    }
    const child = node[key];
    if (typeof child === 'object' && !Array.isArray(child)) {
      node = child;
    } else {
      const created: FormFields = {};
      node[key] = created;
      node = created;
    }
  });
}

function arraysFromIndexedObjects(fields: FormFields): FormFields {
  const result: FormFields = {};
  for (const [key, value] of Object.entries(fields)) result[key] = normalize(value);
  return result;
}

function normalize(value: FormValue): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.length > 0 && keys.every((key) => /^\d+$/.test(key))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((key) => normalize(value[key] as FormValue));
  }
  return arraysFromIndexedObjects(value);
}

/** Turns a JSON body (our sandbox and control endpoints accept JSON too) into form fields. */
export function formFieldsFromJson(json: unknown): FormFields {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalidRequest('The request body must be a JSON object');
  }
  const fields: FormFields = {};
  for (const [key, value] of Object.entries(json)) {
    if (value !== null && value !== undefined) fields[key] = formValueFromJson(value);
  }
  return fields;
}

function formValueFromJson(value: unknown): FormValue {
  if (Array.isArray(value)) return value.map(formValueFromJson);
  if (typeof value === 'object' && value !== null) return formFieldsFromJson(value);
  return String(value);
}

/**
 * Typed, validating access to form fields. Parameter names in errors use Stripe's notation
 * (`line_items[0][price_data][currency]`), and `rejectUnknown` refuses parameters nobody read,
 * as Stripe does ("Received unknown parameter").
 */
export class FormReader {
  private readonly consumed = new Set<string>();

  constructor(
    private readonly fields: FormFields,
    private readonly prefix = '',
    private readonly root?: FormReader,
  ) {}

  has(name: string): boolean {
    return this.fields[name] !== undefined;
  }

  optionalString(name: string): string | undefined {
    const value = this.take(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'string')
      throw invalidRequest(`Invalid string: ${this.path(name)}`, this.path(name));
    return value;
  }

  requiredString(name: string): string {
    const value = this.optionalString(name);
    if (value === undefined || value === '') {
      throw invalidRequest(
        `Missing required param: ${this.path(name)}.`,
        this.path(name),
        'parameter_missing',
      );
    }
    return value;
  }

  /** An empty string means "unset", as in Stripe. */
  optionalNonEmptyString(name: string): string | undefined {
    const value = this.optionalString(name);
    return value === '' ? undefined : value;
  }

  optionalInteger(name: string): number | undefined {
    const value = this.optionalString(name);
    if (value === undefined || value === '') return undefined;
    if (!/^-?\d+$/.test(value)) throw invalidRequest(`Invalid integer: ${value}`, this.path(name));
    return Number(value);
  }

  requiredInteger(name: string): number {
    const value = this.optionalInteger(name);
    if (value === undefined) {
      throw invalidRequest(
        `Missing required param: ${this.path(name)}.`,
        this.path(name),
        'parameter_missing',
      );
    }
    return value;
  }

  optionalBoolean(name: string): boolean | undefined {
    const value = this.optionalString(name);
    if (value === undefined || value === '') return undefined;
    if (value !== 'true' && value !== 'false')
      throw invalidRequest(`Invalid boolean: ${value}`, this.path(name));
    return value === 'true';
  }

  optionalEnum<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const value = this.optionalNonEmptyString(name);
    if (value === undefined) return undefined;
    const match = allowed.find((candidate) => candidate === value);
    if (match === undefined) {
      throw invalidRequest(
        `Invalid ${this.path(name)}: must be one of ${allowed.join(', ')}`,
        this.path(name),
        'parameter_invalid_string',
      );
    }
    return match;
  }

  stringList(name: string): string[] {
    const value = this.take(name);
    if (value === undefined) return [];
    const items = Array.isArray(value) ? value : [value];
    return items.map((item) => {
      if (typeof item !== 'string')
        throw invalidRequest(`Invalid array: ${this.path(name)}`, this.path(name));
      return item;
    });
  }

  /** Metadata-style string map; values may be empty strings (which unset a key on update). */
  stringMap(name: string): Record<string, string> | undefined {
    const value = this.take(name);
    if (value === undefined) return undefined;
    if (value === '') return {};
    if (typeof value !== 'object')
      throw invalidRequest(`Invalid object: ${this.path(name)}`, this.path(name));
    const entries = Array.isArray(value)
      ? value.map((item, index) => [String(index), item] as const)
      : Object.entries(value);
    const map: Record<string, string> = {};
    for (const [key, item] of entries) {
      if (typeof item !== 'string')
        throw invalidRequest(`Invalid ${this.path(name)}[${key}]`, `${this.path(name)}[${key}]`);
      map[key] = item;
    }
    return map;
  }

  child(name: string): FormReader | undefined {
    const value = this.fields[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw invalidRequest(`Invalid object: ${this.path(name)}`, this.path(name));
    }
    return new FormReader(value, this.path(name), this.root ?? this);
  }

  children(name: string): FormReader[] {
    const value = this.fields[name];
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw invalidRequest(`Invalid array: ${this.path(name)}`, this.path(name));
    return value.map((item, index) => {
      const path = `${this.path(name)}[${index}]`;
      if (typeof item !== 'object' || Array.isArray(item))
        throw invalidRequest(`Invalid object: ${path}`, path);
      return new FormReader(item, path, this.root ?? this);
    });
  }

  /** Throws for the first parameter that no handler read. */
  rejectUnknown(): void {
    const unknown = findUnread(this.fields, this.prefix, this.consumedPaths());
    if (unknown !== undefined) throw invalidRequest(`Received unknown parameter: ${unknown}`, unknown);
  }

  private consumedPaths(): Set<string> {
    return (this.root ?? this).consumed;
  }

  private take(name: string): FormValue | undefined {
    this.consumedPaths().add(this.path(name));
    return this.fields[name];
  }

  private path(name: string): string {
    return this.prefix === '' ? name : `${this.prefix}[${name}]`;
  }
}

function findUnread(
  fields: FormFields | FormValue[],
  prefix: string,
  consumed: Set<string>,
): string | undefined {
  const entries = Array.isArray(fields)
    ? fields.map((value, index) => [String(index), value] as const)
    : Object.entries(fields);
  for (const [key, value] of entries) {
    const path = prefix === '' ? key : `${prefix}[${key}]`;
    if (consumed.has(path)) continue;
    if (typeof value === 'string') return path;
    const nested = findUnread(value, path, consumed);
    if (nested !== undefined) return nested;
  }
  return undefined;
}
