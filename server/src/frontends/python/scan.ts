// Reading small pieces of Python source text without the syntax tree.
//
// Every node the front end touches costs a crossing into WASM and a JavaScript object, so the parts
// of the model that are short lists between positions the tree gave us — the arguments of a call, the
// parameters of a def, the segments of a dotted callee, the right-hand side of an assignment — are
// read from the text. The scanner knows just enough Python lexing for that: strings (prefixes, triple
// quotes, escapes, f-string replacement fields with nested quotes), comments, brackets and backslash
// continuations. test/unit/python-frontend.test.ts checks it against the tree.

const IDENT_START = /[\p{L}\p{Nl}_]/u;
const IDENT_PART = /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]/u;

function isAsciiIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isAsciiIdentPart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (c >= 48 && c <= 57);
}

function isIdentStartAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 128) return isAsciiIdentStart(c);
  return IDENT_START.test(String.fromCodePoint(text.codePointAt(i) ?? 0));
}

/** End of the identifier that starts at `i` (i itself when there is none). */
export function identEnd(text: string, i: number): number {
  const c0 = text.charCodeAt(i);
  if (c0 < 128 ? !isAsciiIdentStart(c0) : !isIdentStartAt(text, i)) return i;
  let j = i + 1;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c < 128) {
      if (!isAsciiIdentPart(c)) break;
      j++;
      continue;
    }
    const cp = text.codePointAt(j) ?? 0;
    const ch = String.fromCodePoint(cp);
    if (!IDENT_PART.test(ch) && !IDENT_START.test(ch)) break;
    j += ch.length;
  }
  return j;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 12 || c === 10 || c === 13;
}

/** Skips whitespace, newlines, backslash continuations and comments forwards. */
export function skipTrivia(text: string, i: number, end = text.length): number {
  while (i < end) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) i++;
    else if (c === 92 /* \ */ && (text.charCodeAt(i + 1) === 10 || text.charCodeAt(i + 1) === 13)) i++;
    else if (c === 35 /* # */) {
      while (i < end && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) i++;
    } else break;
  }
  return i;
}

/** Skips spaces, tabs and backslash continuations forwards: what may separate tokens on one logical line. */
export function skipInline(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 12) i++;
    else if (c === 92 /* \ */ && text.charCodeAt(i + 1) === 10) i += 2;
    else if (c === 92 && text.charCodeAt(i + 1) === 13) i += text.charCodeAt(i + 2) === 10 ? 3 : 2;
    else return i;
  }
}

/** Skips spaces and tabs backwards from `i` (exclusive): to the end of the previous token on the line. */
export function skipInlineBack(text: string, i: number): number {
  while (i > 0 && (text.charCodeAt(i - 1) === 32 || text.charCodeAt(i - 1) === 9)) i--;
  return i;
}

/** Skips whitespace and backslash continuations backwards from `i` (exclusive); not comments. */
export function skipSpaceBack(text: string, i: number, start = 0): number {
  while (i > start) {
    const c = text.charCodeAt(i - 1);
    if (isSpace(c) || c === 92) i--;
    else break;
  }
  return i;
}

/** After an expression: nothing more of it on this logical line (end of line, comment, `;`, end of file). */
export function endsStatement(text: string, i: number): boolean {
  const j = skipInline(text, i);
  if (j >= text.length) return true;
  const c = text.charCodeAt(j);
  return c === 10 || c === 13 || c === 35 /* # */ || c === 59 /* ; */;
}

function isStringPrefix(text: string, i: number, j: number): boolean {
  const n = j - i;
  if (n < 1 || n > 2) return false;
  let hasR = false;
  let other = 0;
  for (let k = i; k < j; k++) {
    const c = text.charCodeAt(k) | 0x20; // lower case
    if (c === 114 /* r */) {
      if (hasR) return false;
      hasR = true;
    } else if (c === 98 || c === 102 || c === 116 || c === 117 /* b f t u */) {
      if (other++ > 0 || (c === 117 && n > 1)) return false;
    } else return false;
  }
  return true;
}

/** End of the string literal whose quote is at `quoteAt` (prefix letters `prefixStart..quoteAt`). */
function stringEnd(text: string, prefixStart: number, quoteAt: number, end: number): number {
  const q = text.charCodeAt(quoteAt);
  const triple = text.charCodeAt(quoteAt + 1) === q && text.charCodeAt(quoteAt + 2) === q;
  let isF = false;
  for (let k = prefixStart; k < quoteAt; k++) {
    const c = text.charCodeAt(k) | 0x20;
    if (c === 102 || c === 116) isF = true;
  }
  let i = quoteAt + (triple ? 3 : 1);
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */) {
      i += 2;
      continue;
    }
    if (c === q) {
      if (!triple) return i + 1;
      if (text.charCodeAt(i + 1) === q && text.charCodeAt(i + 2) === q) return i + 3;
      i++;
      continue;
    }
    if (!triple && (c === 10 || c === 13)) return i; // unterminated: it ends with the line
    if (isF && c === 123 /* { */) {
      if (text.charCodeAt(i + 1) === 123) {
        i += 2;
        continue;
      }
      i = replacementFieldEnd(text, i + 1, end);
      continue;
    }
    i++;
  }
  return end;
}

/** From just after `{` in an f-string to just after its matching `}`. */
function replacementFieldEnd(text: string, i: number, end: number): number {
  let depth = 0;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 125 /* } */ && depth === 0) return i + 1;
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth--;
    else if (c === 34 || c === 39) {
      i = stringEnd(text, i, i, end);
      continue;
    } else if (isAsciiIdentStart(c)) {
      const j = identEnd(text, i);
      const q = text.charCodeAt(j);
      i = (q === 34 || q === 39) && isStringPrefix(text, i, j) ? stringEnd(text, i, j, end) : j;
      continue;
    }
    i++;
  }
  return end;
}

/**
 * One lexical step at `i`: past a string literal (with its prefix), an identifier, a comment, or a
 * single character. Strings are the reason this exists: brackets and commas inside them do not count.
 */
export function stepToken(text: string, i: number, end: number): number {
  const c = text.charCodeAt(i);
  if (c === 34 || c === 39) return stringEnd(text, i, i, end);
  if (c === 35 /* # */) {
    while (i < end && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) i++;
    return i;
  }
  if (c < 128 ? isAsciiIdentStart(c) : isIdentStartAt(text, i)) {
    const j = identEnd(text, i);
    const q = text.charCodeAt(j);
    return (q === 34 || q === 39) && isStringPrefix(text, i, j) ? stringEnd(text, i, j, end) : j;
  }
  return i + 1;
}

export interface Item {
  /** first character of the item (after leading whitespace and comments) */
  start: number;
  /** just after its last token (before trailing whitespace, comments and the comma) */
  end: number;
  /** the first top-level `=` that is an assignment (not `==`, `<=`, `>=`, `!=`, `:=`), or -1 */
  eq: number;
  /** the first top-level `:` (annotations, lambda bodies), or -1 */
  colon: number;
}

/**
 * Splits `text[start, end)` — the inside of a bracket pair — into its comma-separated items.
 * Nested brackets, strings and comments are skipped; empty items (a trailing comma) are dropped.
 */
export function splitItems(text: string, start: number, end: number): Item[] {
  const items: Item[] = [];
  let depth = 0;
  let itemStart = -1;
  let lastEnd = -1;
  let eq = -1;
  let colon = -1;
  /** `lambda` keywords at depth 0 still waiting for their `:` — commas before it separate parameters */
  let lambdas = 0;
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (isSpace(c) || c === 92 /* \ */ || c === 35 /* # */) {
      i = c === 35 ? stepToken(text, i, end) : i + 1;
      continue;
    }
    if (c === 44 /* , */ && depth === 0 && lambdas === 0) {
      if (itemStart >= 0) items.push({ start: itemStart, end: lastEnd, eq, colon });
      itemStart = -1;
      eq = -1;
      colon = -1;
      i++;
      continue;
    }
    if (itemStart < 0) itemStart = i;
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth--;
    else if (depth === 0 && c === 61 /* = */ && eq < 0) {
      const prev = text.charCodeAt(i - 1);
      // `==`, `<=`, `>=`, `!=`, `:=` do not name a keyword or a default
      if (text.charCodeAt(i + 1) !== 61 && prev !== 61 && prev !== 60 && prev !== 62 && prev !== 33 && prev !== 58) eq = i;
    } else if (depth === 0 && c === 58 /* : */ && text.charCodeAt(i + 1) !== 61) {
      if (lambdas > 0) lambdas--;
      else if (colon < 0) colon = i;
    } else if (depth === 0 && c === 108 /* l */ && keywordAt(text, i, 'lambda')) lambdas++;
    i = stepToken(text, i, end);
    lastEnd = i;
  }
  if (itemStart >= 0) items.push({ start: itemStart, end: lastEnd, eq, colon });
  return items;
}

/** The index of the bracket that closes the one at `open`, or -1 before `limit`. */
export function closingBracket(text: string, open: number, limit: number): number {
  let depth = 0;
  let i = open;
  while (i < limit) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) {
      if (--depth === 0) return i;
    }
    i = stepToken(text, i, limit);
  }
  return -1;
}

/**
 * From `i`, the end of an expression on the current logical line: the first top-level `=` (not part
 * of `==` and friends), line end, `;` or comment. Brackets may span lines.
 */
export function expressionEnd(text: string, i: number): { end: number; eq: boolean } {
  let depth = 0;
  let last = i;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (depth === 0) {
      if (c === 10 || c === 13 || c === 59 || c === 35) return { end: last, eq: false };
      if (c === 61 && text.charCodeAt(i + 1) !== 61) {
        const prev = text.charCodeAt(i - 1);
        if (prev !== 61 && prev !== 60 && prev !== 62 && prev !== 33 && prev !== 58) return { end: last, eq: true };
      }
    }
    if (isSpace(c) || c === 92) {
      i++;
      continue;
    }
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth--;
    i = stepToken(text, i, n);
    last = i;
  }
  return { end: last, eq: false };
}

/**
 * The `:` that ends a def/class/lambda header, scanning from `i`: the first one outside brackets
 * that is not the colon of a nested lambda. -1 before `limit`.
 */
export function headerColon(text: string, i: number, limit: number): number {
  let depth = 0;
  let lambdas = 0;
  while (i < limit) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth--;
    else if (depth === 0 && c === 58 /* : */ && text.charCodeAt(i + 1) !== 61) {
      if (lambdas === 0) return i;
      lambdas--;
    } else if (depth === 0 && c === 108 /* l */ && keywordAt(text, i, 'lambda')) lambdas++;
    i = stepToken(text, i, limit);
  }
  return -1;
}

/** The segments of a dotted name `a.b.c` filling exactly `text[start, end)` (trivia allowed around dots), or undefined. */
export function dottedSegments(text: string, start: number, end: number): string[] | undefined {
  const parts: string[] = [];
  let i = start;
  for (;;) {
    const j = identEnd(text, i);
    if (j === i) return undefined;
    parts.push(text.slice(i, j));
    i = skipTrivia(text, j, end);
    if (i >= end) return parts;
    if (text.charCodeAt(i) !== 46 /* . */) return undefined;
    i = skipTrivia(text, i + 1, end);
  }
}

/** The dotted name starting at `start` on this logical line, and where it ends; undefined when none starts there. */
export function readDotted(text: string, start: number): { parts: string[]; end: number } | undefined {
  const parts: string[] = [];
  let i = start;
  for (;;) {
    const j = identEnd(text, i);
    if (j === i) return parts.length > 0 ? { parts, end: i } : undefined;
    parts.push(text.slice(i, j));
    const dot = skipInline(text, j);
    if (text.charCodeAt(dot) !== 46 /* . */) return { parts, end: j };
    i = skipInline(text, dot + 1);
  }
}

/**
 * Where the callee of a call starts, read backwards from the argument list's `(`: the dotted name
 * before it on the same line. -1 when the callee is anything else (`f(x)(y)`, `a[0](y)`, a string,
 * a name split over lines): the caller then asks the tree.
 */
export function dottedCalleeStart(text: string, open: number, limit: number): number {
  let i = backOverSpace(text, open, limit);
  for (;;) {
    // an identifier, backwards
    let j = i;
    while (j > limit) {
      const c = text.charCodeAt(j - 1);
      if (c >= 128) return -1;
      if (!isAsciiIdentPart(c)) break;
      j--;
    }
    if (j === i || !isAsciiIdentStart(text.charCodeAt(j))) return -1;
    const k = backOverSpace(text, j, limit);
    if (k < 0) return -1;
    if (k > limit && text.charCodeAt(k - 1) === 46 /* . */) {
      i = backOverSpace(text, k - 1, limit);
      if (i < 0) return -1;
      continue;
    }
    // a quote or a backslash right before: not a plain name
    const before = k > limit ? text.charCodeAt(k - 1) : 32;
    if (before === 34 || before === 39 || before === 92) return -1;
    return j;
  }
}

/**
 * Back over spaces, tabs and backslash continuations. At a plain line break (inside brackets) the
 * previous line may end with `.` or a comment that hides one: -1, let the tree decide.
 */
function backOverSpace(text: string, i: number, limit: number): number {
  for (;;) {
    while (i > limit && (text.charCodeAt(i - 1) === 32 || text.charCodeAt(i - 1) === 9)) i--;
    if (i <= limit) return i;
    const c = text.charCodeAt(i - 1);
    if (c !== 10 && c !== 13) return i;
    let j = i - 1;
    if (c === 10 && text.charCodeAt(j - 1) === 13) j--;
    if (text.charCodeAt(j - 1) !== 92 /* \ */) {
      const prevStart = text.lastIndexOf('\n', j - 1) + 1;
      const prev = text.slice(prevStart, j);
      return prev.includes('#') || prev.trimEnd().endsWith('.') ? -1 : i;
    }
    i = j - 1;
  }
}

/** True when `word` is at `i` as a whole keyword (`lambda x: …`, not `lambdas`). */
export function keywordAt(text: string, i: number, word: string): boolean {
  return text.startsWith(word, i) && identEnd(text, i) === i + word.length;
}
