// Comments and "what kind of text is at this offset" without a second lexing pass over the file.
//
// Suppression comments are the only comments the engine needs, and they all contain `loopguard`, so
// the front end looks at each occurrence of that word (indexOf, no tokenising) and asks the syntax tree
// whether it sits in a comment: descend to the innermost node around the offset, then scan only the
// few tokens between that node's children. A lexer pass of the whole file (the obvious way) costs as
// much as a third of the parse; this costs nothing on files that never mention `loopguard`.
// The fixer uses the same descent to ask whether a line starts inside a template literal or JSX text.

import ts from 'typescript';
import type { Comment } from '../../engine/model';

const SK = ts.SyntaxKind;

export type TextContext = 'code' | 'comment' | 'template' | 'string' | 'jsx-text';

interface Located {
  /** the innermost node whose [pos, end) holds the offset */
  node: ts.Node;
  /** a token boundary at or before the offset inside `node`: the end of the last child before it */
  scanFrom: number;
  leaf: boolean;
}

const MAX_DESCENT = 5000;

function locate(sf: ts.SourceFile, offset: number): Located {
  let node: ts.Node = sf;
  for (let guard = 0; guard < MAX_DESCENT; guard++) {
    let next: ts.Node | undefined;
    let lastEnd = node.pos;
    ts.forEachChild(node, (c) => {
      if (c.pos <= offset && offset < c.end) {
        next = c;
        return true;
      }
      if (c.end <= offset) lastEnd = c.end;
      return undefined;
    });
    // a token (identifier, literal, template part, JSX text) is one lexeme: only its leading trivia
    // can hold a comment; any other node is scanned token by token between its children
    if (!next) return { node, scanFrom: lastEnd, leaf: node.kind <= SK.LastToken };
    node = next;
  }
  return { node, scanFrom: node.pos, leaf: false };
}

export class TriviaIndex {
  private scanner: ts.Scanner | undefined;

  constructor(
    private readonly sf: ts.SourceFile,
    private readonly text: string,
  ) {}

  /** The comment token that contains `offset`, if any. */
  commentAt(offset: number): Comment | undefined {
    if (offset < 0 || offset >= this.text.length) return undefined;
    const at = locate(this.sf, offset);
    if (at.leaf && offset >= at.node.getStart(this.sf)) return undefined;
    return this.scanForComment(at.leaf ? at.node.pos : at.scanFrom, offset);
  }

  private scanForComment(from: number, offset: number): Comment | undefined {
    const scanner = (this.scanner ??= ts.createScanner(ts.ScriptTarget.Latest, false, this.sf.languageVariant, this.text));
    scanner.setText(this.text, from, this.text.length - from);
    for (let guard = 0; guard < 100_000; guard++) {
      const kind = scanner.scan();
      if (kind === SK.EndOfFileToken) return undefined;
      const start = scanner.getTokenStart();
      const end = scanner.getTokenEnd();
      if (start > offset) return undefined;
      if (end > offset) {
        if (kind === SK.SingleLineCommentTrivia || kind === SK.MultiLineCommentTrivia) {
          return { span: { start, end }, text: this.text.slice(start, end) };
        }
        return undefined;
      }
    }
    return undefined;
  }

  /** Every comment that mentions `loopguard`: all the suppression machinery needs. */
  directiveComments(): Comment[] {
    const out: Comment[] = [];
    const text = this.text;
    let from = 0;
    for (;;) {
      const at = text.indexOf('loopguard', from);
      if (at < 0) break;
      const c = this.commentAt(at);
      if (c) {
        out.push(c);
        from = c.span.end;
      } else {
        from = at + 9;
      }
    }
    return out;
  }

  /** What kind of text `offset` is in; an offset at the first character of a token counts as code. */
  contextAt(offset: number): TextContext {
    if (offset >= this.text.length) return 'code';
    const at = locate(this.sf, offset);
    if (at.leaf) {
      const start = at.node.getStart(this.sf);
      const k = at.node.kind;
      if (k === SK.JsxText) return offset >= at.node.pos ? 'jsx-text' : 'code';
      if (offset > start) {
        switch (k) {
          case SK.NoSubstitutionTemplateLiteral:
          case SK.TemplateHead:
          case SK.TemplateMiddle:
          case SK.TemplateTail:
            return 'template';
          case SK.StringLiteral:
          case SK.RegularExpressionLiteral:
            return 'string';
          default:
            return 'code';
        }
      }
      return this.scanForComment(at.node.pos, offset) ? 'comment' : 'code';
    }
    return this.scanForComment(at.scanFrom, offset) ? 'comment' : 'code';
  }

  /** The JsxText node containing `offset`, if any (for its whitespace). */
  jsxTextAt(offset: number): ts.JsxText | undefined {
    const at = locate(this.sf, offset);
    return at.node.kind === SK.JsxText ? (at.node as ts.JsxText) : undefined;
  }
}
