// --format junit: JUnit XML for CI systems that show test reports (Jenkins, GitLab, Azure Pipelines,
// CircleCI). ESLint's shape: one <testsuite> per analysed file, one <testcase> per finding with a
// <failure> (a rule that crashed is an <error>), and one passing <testcase> for a clean file, so the
// report also lists what was checked. Times are in seconds.

import { ruleDocsUrl } from '../../rules/registry';
import { findingLocation, type RunReport } from '../report';

// XML 1.0 cannot carry most C0 controls, not even as character references, nor lone surrogates
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function escapeXml(s: string): string {
  return s
    .replace(INVALID_XML, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** attribute values: also the whitespace an XML parser would otherwise normalise to spaces */
function attr(s: string | number): string {
  return escapeXml(String(s)).replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** Jenkins reads dots in a classname as packages: the path without its extension reads as one */
function classname(file: string): string {
  return file.replace(/\.[^./]+$/, '');
}

export function formatJunit(report: RunReport): string {
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  for (const { file, result } of report.files) {
    const cases: string[] = [];
    const cls = classname(file);
    for (const e of result.ruleErrors) {
      cases.push(
        `    <testcase classname="${attr(cls)}" name="${attr(e.rule)}" file="${attr(file)}" time="0">\n` +
          `      <error type="internal-error" message="${attr(`internal error in rule ${e.rule} (please report)`)}">${escapeXml(e.error)}</error>\n` +
          `    </testcase>`,
      );
    }
    for (const f of result.findings) {
      const loc = findingLocation(result, f);
      const body = `${file}:${loc.line}:${loc.column}: ${f.severity} ${f.rule} ${f.message}\n${ruleDocsUrl(f.rule)}`;
      cases.push(
        `    <testcase classname="${attr(cls)}" name="${attr(`${f.rule} at ${loc.line}:${loc.column}`)}" file="${attr(file)}" line="${loc.line}" time="0">\n` +
          `      <failure type="${attr(f.severity)}" message="${attr(f.message)}">${escapeXml(body)}</failure>\n` +
          `    </testcase>`,
      );
    }
    const fileFailures = result.findings.length;
    const fileErrors = result.ruleErrors.length;
    let skipped = 0;
    if (cases.length === 0) {
      if (result.skipped) {
        skipped = 1;
        cases.push(
          `    <testcase classname="${attr(cls)}" name="loopguard" file="${attr(file)}" time="0">\n      <skipped message="${attr(result.skipped)}"/>\n    </testcase>`,
        );
      } else {
        cases.push(`    <testcase classname="${attr(cls)}" name="loopguard" file="${attr(file)}" time="${seconds(result.timings.parseMs + result.timings.rulesMs)}"/>`);
      }
    }
    tests += cases.length;
    failures += fileFailures;
    errors += fileErrors;
    suites.push(
      `  <testsuite name="${attr(file)}" tests="${cases.length}" failures="${fileFailures}" errors="${fileErrors}" skipped="${skipped}" ` +
        `time="${seconds(result.timings.parseMs + result.timings.rulesMs)}">\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="loopguard" tests="${tests}" failures="${failures}" errors="${errors}" time="${seconds(report.durationMs)}">\n` +
    suites.map((s) => s + '\n').join('') +
    '</testsuites>\n'
  );
}
