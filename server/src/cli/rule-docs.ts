// The rule documentation pages, for SARIF's `help` and `fullDescription`. The pages are the
// generated `docs/rules/<id>.md` (scripts/docs.ts renders them from the rules' doc comments, and
// test/unit/meta.test.ts fails when they drift), read from the package: the same files the extension
// ships and opens, so the CLI needs neither the rule sources nor a second renderer at run time.

import * as fs from 'node:fs';
import * as path from 'node:path';

/** `docs/rules` of the package: `dist/../docs/rules` when bundled, found upwards from the source when not. */
function findDocsDir(): string | undefined {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'docs', 'rules');
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

let docsDir: string | null | undefined;

/** The rule's documentation page as markdown, or undefined when the package has no docs folder. */
export function ruleDocMarkdown(id: string): string | undefined {
  if (docsDir === undefined) docsDir = findDocsDir() ?? null;
  if (docsDir === null) return undefined;
  try {
    return fs.readFileSync(path.join(docsDir, `${id}.md`), 'utf8');
  } catch {
    return undefined;
  }
}

/** The body of a `## <heading>` section of a rule page, or undefined. */
export function docSection(markdown: string, heading: string): string | undefined {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`## ${heading}`);
  if (start < 0) return undefined;
  let end = start + 1;
  let inFence = false;
  for (; end < lines.length; end++) {
    if (lines[end].startsWith('```')) inFence = !inFence;
    else if (!inFence && lines[end].startsWith('## ')) break;
  }
  return lines.slice(start + 1, end).join('\n').trim();
}

/**
 * Markdown as plain text for viewers that do not render markdown: code fences, heading markers and
 * emphasis go; inline code keeps its backticks, which read fine as plain text.
 */
export function markdownToText(markdown: string): string {
  return markdown
    .split('\n')
    .filter((l) => !l.startsWith('```'))
    .map((l) => l.replace(/^#{1,6} /, '').replace(/\*\*([^*]+)\*\*/g, '$1').replace(/^> /, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
