import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ERROR_CODES } from '../common/errors';

/** `npm run docs:errors`: rewrites the README's error-code table from common/errors.ts. */
const readmePath = path.join(__dirname, '..', 'README.md');
const table = ['| code | meaning |', '|---|---|', ...Object.entries(ERROR_CODES).map(([code, meaning]) => `| \`${code}\` | ${meaning} |`)];
const readme = readFileSync(readmePath, 'utf8');
const [head, rest] = readme.split('<!-- error-codes:start -->');
const tail = rest?.split('<!-- error-codes:end -->')[1];
if (head === undefined || tail === undefined) {
  process.stderr.write('README.md lacks the <!-- error-codes:start --> / <!-- error-codes:end --> markers.\n');
  process.exit(1);
}
writeFileSync(readmePath, `${head}<!-- error-codes:start -->\n${table.join('\n')}\n<!-- error-codes:end -->${tail}`);
process.stdout.write(`README.md: ${Object.keys(ERROR_CODES).length} error codes written.\n`);
