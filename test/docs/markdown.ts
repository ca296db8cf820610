/**
 * The project's documentation as a reader sees it, for the tests that hold it to the repository and
 * to the specs: Markdown parsed by markdown-it (CommonMark with GitHub's tables), headings slugged
 * by github-slugger (GitHub's own rules, duplicates numbered), never regexes over the source.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import GithubSlugger from 'github-slugger';
import MarkdownIt, { type Token } from 'markdown-it';
import { parse } from 'yaml';
import { ROOT } from '../support/spec-walk.js';

const md = new MarkdownIt({ html: true });

export interface MarkdownDoc {
  /** Path relative to the project root, with `/` separators; for a spec description, the spec's path. */
  path: string;
  /** Where in the file (the spec's JSON pointer for a description), for messages. */
  where: string;
  tokens: Token[];
}

export function parseMarkdown(text: string, path: string, where = path): MarkdownDoc {
  return { path, where, tokens: md.parse(text, {}) };
}

export function readDoc(path: string): MarkdownDoc {
  return parseMarkdown(readFileSync(join(ROOT, path), 'utf8'), path);
}

/** Every file below `dir` (relative to the root), recursively, as root-relative `/` paths. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const child = join(abs, entry.name);
      if (entry.isDirectory()) walk(child);
      else out.push(relative(ROOT, child).split('\\').join('/'));
    }
  };
  walk(join(ROOT, dir));
  return out.sort();
}

/** README.md and every Markdown file under docs/: the documentation a reader browses. */
export function documentationFiles(): string[] {
  return ['README.md', ...filesUnder('docs').filter((p) => p.endsWith('.md'))];
}

/** The OpenAPI documents whose descriptions are Markdown a reader sees (Swagger UI, the generated types). */
export const SPEC_FILES = ['openapi.yaml', 'mock-server/control-api.yaml'] as const;

/** Every `description` of a spec (info's included), each parsed as Markdown. */
export function specDescriptions(spec: string): MarkdownDoc[] {
  const out: MarkdownDoc[] = [];
  const walk = (node: unknown, pointer: string): void => {
    if (Array.isArray(node)) node.forEach((item, i) => walk(item, `${pointer}/${i}`));
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        const at = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        if (key === 'description' && typeof value === 'string') out.push(parseMarkdown(value, spec, at));
        else walk(value, at);
      }
    }
  };
  walk(parse(readFileSync(join(ROOT, spec), 'utf8')), `${spec}#`);
  return out;
}

function* allTokens(tokens: Token[]): Generator<Token> {
  for (const token of tokens) {
    yield token;
    if (token.children) yield* allTokens(token.children);
  }
}

/** The targets of every link and image, as written. */
export function linkTargets(doc: MarkdownDoc): string[] {
  const out: string[] = [];
  for (const token of allTokens(doc.tokens)) {
    if (token.type === 'link_open') out.push(String(token.attrGet('href') ?? ''));
    if (token.type === 'image') out.push(String(token.attrGet('src') ?? ''));
  }
  return out;
}

/** The text of an inline token as rendered: text and code, without markup. */
function inlineText(token: Token): string {
  return (token.children ?? [])
    .map((child) => {
      if (child.type === 'text' || child.type === 'code_inline') return child.content;
      if (child.type === 'softbreak' || child.type === 'hardbreak') return ' ';
      return '';
    })
    .join('');
}

/** Each heading's text and the anchor GitHub gives it (`#the-heading`, `-1` for the second alike). */
export function headings(doc: MarkdownDoc): Array<{ level: number; text: string; slug: string }> {
  const slugger = new GithubSlugger();
  const out: Array<{ level: number; text: string; slug: string }> = [];
  doc.tokens.forEach((token, i) => {
    if (token.type !== 'heading_open') return;
    const text = inlineText(doc.tokens[i + 1]!);
    out.push({ level: Number(token.tag.slice(1)), text, slug: slugger.slug(text) });
  });
  return out;
}

/** The content of every inline code span, in order. */
export function codeSpans(doc: MarkdownDoc): string[] {
  return [...allTokens(doc.tokens)].filter((t) => t.type === 'code_inline').map((t) => t.content);
}

/** The content of every fenced or indented code block, with its info string (`sh`, `ts`, ...). */
export function codeBlocks(doc: MarkdownDoc): Array<{ info: string; content: string }> {
  return doc.tokens
    .filter((t) => t.type === 'fence' || t.type === 'code_block')
    .map((t) => ({ info: t.info.trim(), content: t.content }));
}

/**
 * The document as text a reader sees, whitespace collapsed: paragraphs, headings, list items and
 * code blocks in order, separated by a space; a table row's cells joined by ` | ` (as the provider's
 * own tables are quoted).
 */
export function readerText(doc: MarkdownDoc): string {
  const parts: string[] = [];
  let row: string[] | undefined;
  for (const token of doc.tokens) {
    if (token.type === 'tr_open') row = [];
    else if (token.type === 'tr_close') {
      parts.push(row!.join(' | '));
      row = undefined;
    } else if (token.type === 'inline') {
      if (row) row.push(inlineText(token).trim());
      else parts.push(inlineText(token));
    } else if (token.type === 'fence' || token.type === 'code_block') parts.push(token.content);
  }
  return parts.join(' ').replace(/\s+/g, ' ').trim();
}

export interface Table {
  /** The nearest heading above the table. */
  heading: string;
  header: string[];
  rows: string[][];
  /** Each row's cells as their inline code spans (a cell `` `400` `401` `` is ['400', '401']). */
  codeRows: string[][][];
}

/** Every table of a document, its cells as rendered text. */
export function tables(doc: MarkdownDoc): Table[] {
  const out: Table[] = [];
  let heading = '';
  let current: Table | undefined;
  let row: string[] | undefined;
  let codeRow: string[][] | undefined;
  let inHead = false;
  doc.tokens.forEach((token, i) => {
    if (token.type === 'heading_open') heading = inlineText(doc.tokens[i + 1]!);
    else if (token.type === 'table_open') current = { heading, header: [], rows: [], codeRows: [] };
    else if (token.type === 'thead_open') inHead = true;
    else if (token.type === 'thead_close') inHead = false;
    else if (token.type === 'tr_open') {
      row = [];
      codeRow = [];
    } else if (token.type === 'inline' && row && current) {
      row.push(inlineText(token).trim());
      codeRow!.push((token.children ?? []).filter((c) => c.type === 'code_inline').map((c) => c.content));
    } else if (token.type === 'tr_close' && current) {
      if (inHead) current.header = row!;
      else {
        current.rows.push(row!);
        current.codeRows.push(codeRow!);
      }
      row = undefined;
    } else if (token.type === 'table_close') {
      out.push(current!);
      current = undefined;
    }
  });
  return out;
}

/** The one table of `path` under a heading that contains `headingPart`; fails the test when absent. */
export function tableUnder(path: string, headingPart: string): Table {
  const found = tables(readDoc(path)).filter((t) => t.heading.includes(headingPart));
  if (found.length !== 1) {
    throw new Error(
      `${path}: expected one table under a heading with "${headingPart}", found ${found.length}`,
    );
  }
  return found[0]!;
}

export function isFile(abs: string): boolean {
  try {
    return statSync(abs).isFile();
  } catch {
    return false;
  }
}

export function exists(abs: string): boolean {
  try {
    statSync(abs);
    return true;
  } catch {
    return false;
  }
}
