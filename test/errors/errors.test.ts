import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { test } from 'node:test';
import ts from 'typescript';
import { PROBLEM_TYPES } from '../../src/http/problem-types.ts';
import * as api from '../../src/index.ts';
import { documentedCodes } from './documented-codes.ts';

const errorClasses = Object.entries(api).filter(
  ([, v]) => typeof v === 'function' && v.prototype instanceof api.SymphainyError,
) as [string, new (...args: never[]) => api.SymphainyError][];

test('every error class has a unique SYM_ERR_ code, its own name, and a row in docs/errors.md with its status and CLI exit code', async () => {
  const documented = await documentedCodes();
  const codes = new Set<string>();
  assert.ok(errorClasses.length >= 10);
  for (const [name, Cls] of errorClasses) {
    // Construct with plausible arguments; every class takes a message or named fields first.
    const err = new (Cls as unknown as new (...a: unknown[]) => api.SymphainyError)('x', ['y']);
    assert.equal(err.name, name);
    assert.match(err.code, /^SYM_ERR_[A-Z_]+$/);
    assert.ok(!codes.has(err.code), `duplicate code ${err.code}`);
    codes.add(err.code);
    assert.ok(err.statusCode >= 400 && err.statusCode < 600);
    const row = documented.get(err.code);
    assert.ok(row, `docs/errors.md lacks ${err.code} (${name}, ${err.statusCode})`);
    assert.deepEqual(
      { className: row.className, status: row.status, exit: row.exit },
      // The CLI's rule (src/cli/main.ts): 2 for bad input (4xx), 1 otherwise.
      { className: name, status: err.statusCode, exit: err.statusCode < 500 ? 2 : 1 },
      `docs/errors.md row of ${err.code}`,
    );
    assert.ok(api.isSymphainyError(err));
    assert.deepEqual(Object.keys(err.toJSON()).sort(), ['code', 'message', 'name']);
  }
});

test('docs/errors.md names each code once, with one status, and an exit code on every row', async () => {
  const documented = await documentedCodes();
  assert.ok(documented.size >= errorClasses.length);
  for (const d of documented.values()) {
    assert.equal(d.rows, 1, `${d.code} has ${d.rows} rows in docs/errors.md: one code, one meaning, one status`);
    assert.ok(d.exitColumn, `${d.code}: its row has no exit column (the CLI exit code, or — where the CLI never prints it)`);
    assert.ok(d.status >= 400 && d.status < 600, `${d.code}: ${d.status}`);
  }
});

test('every code the HTTP API answers with has a row in docs/errors.md with the status of the table', async () => {
  const documented = await documentedCodes();
  const classCodes = new Set(errorClasses.map(([, Cls]) => new (Cls as unknown as new (...a: unknown[]) => api.SymphainyError)('x', ['y']).code));
  const faults: string[] = [];
  for (const [code, { status }] of Object.entries(PROBLEM_TYPES)) {
    const row = documented.get(code);
    if (!row) faults.push(`${code} (${status}) has no row`);
    else if (row.status !== status) faults.push(`${code}: the row says ${row.status}, the table (src/http/problem-types.ts) ${status}`);
    // A code with no class is the HTTP server's own: its row has no class and no CLI exit code.
    else if (!classCodes.has(code) && (row.className !== null || row.exit !== null)) faults.push(`${code}: an HTTP-only code, its row should have — for class and exit`);
  }
  for (const code of documented.keys()) if (!Object.hasOwn(PROBLEM_TYPES, code)) faults.push(`${code} has a row but is not in the table`);
  assert.deepEqual(faults, []);
});

/** Every `SYM_ERR_*` code written in a string or template literal of the sources (comments are not code). */
async function codesInSources(): Promise<Map<string, string[]>> {
  const root = new URL('../../src/', import.meta.url);
  const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.ts'));
  const found = new Map<string, string[]>();
  for (const file of files) {
    const text = await readFile(new URL(file, root), 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
    const visit = (node: ts.Node): void => {
      if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
        for (const [code] of node.text.matchAll(/SYM_ERR_[A-Z0-9_]*[A-Z0-9]/g)) {
          const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
          found.set(code, [...(found.get(code) ?? []), `src/${file}:${line}`]);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

test('every SYM_ERR_ code written anywhere in src/ (HTTP included) has a row in docs/errors.md', async () => {
  const documented = await documentedCodes();
  const inSources = await codesInSources();
  assert.ok(inSources.size >= 5, 'the scan finds the codes the sources write');
  const undocumented = [...inSources].filter(([code]) => !documented.has(code)).map(([code, where]) => `${code} (${where.join(', ')})`);
  assert.deepEqual(undocumented, [], 'codes sent or recorded without a row in docs/errors.md');
});
