/**
 * Query text from pg_stat_activity loses its constants before it reaches a finding: strings
 * (plain, E'', U&'', dollar-quoted), numbers and comments go; the statement's shape stays.
 */
import fc from 'fast-check';
import { maskSqlLiterals } from '../../src/analysis/sql-literals.js';

describe('maskSqlLiterals', () => {
  it.each([
    ["alter role app password 'hunter2'", 'alter role app password ?'],
    ["select * from users where email = 'a@b.c' and id = 42", 'select * from users where email = ? and id = ?'],
    ["select 'it''s', E'a\\'b', U&'d\\0061t', B'101', x'ff'", 'select ?, ?, ?, ?, ?'],
    ['select $body$ secret $x$ $body$, $$ also $$', 'select ?, ?'],
    [
      'select 1.5e3, .5, 0x1F, 1_000 from t where a = $1 and b = $12',
      'select ?, ?, ?, ? from t where a = $1 and b = $12',
    ],
    [
      'select "Odd \'name""" from "t1" -- token=abc\nwhere x /* key: 123 */ = col2',
      'select "Odd \'name""" from "t1" --\nwhere x /* */ = col2',
    ],
    ["insert into t values ('cut off mid-lit", 'insert into t values (?'],
    ['select 1 /* outer /* inner */ still a comment */ from t', 'select ? /* */ from t'],
    ['update t set n = n - 3 where t.id2 = 7', 'update t set n = n - ? where t.id2 = ?'],
  ])('%s', (sql, masked) => {
    expect(maskSqlLiterals(sql)).toBe(masked);
  });

  it('no constant a statement was built with survives, however it is quoted or cut off', () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9@.!#%^&*()[\]{}<>,;:'"\\ ]{6,20}$/).map((s) => `S3CR3T${s}`);
    const literal = secret.chain((s) =>
      fc.constantFrom(
        `'${s.replaceAll("'", "''")}'`,
        `E'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`,
        `$q$${s.replaceAll('$', '')}$q$`,
        `$$${s.replaceAll('$', '')}$$`,
        `/* ${s.replaceAll('*/', '')} */`,
      ),
    );
    fc.assert(
      fc.property(
        fc.array(fc.oneof(literal, fc.constantFrom('select', ' ', ',', 'a.b', '=', '(', ')', '"x"'))),
        fc.nat(600),
        (parts, cut) => {
          const sql = parts.join(' ');
          for (const text of [sql, sql.slice(0, cut)]) expect(maskSqlLiterals(text)).not.toMatch(/S3CR3T/);
        },
      ),
    );
  });

  it('any text at all: no throw, and never longer than what it masks plus the comment markers', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 600 }), (text) => {
        expect(maskSqlLiterals(text).length).toBeLessThanOrEqual(text.length + 3 * (text.split('/*').length - 1));
      }),
    );
  });
});
