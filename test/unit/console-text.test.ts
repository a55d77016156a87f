/** Schedules in words, and the console's HTML escaping (pure). */
import { describeSchedule } from '../../src/cron/describe.js';
import { escapeHtml, html } from '../../src/http/console/html.js';

describe('a schedule in words', () => {
  it.each([
    ['0 7 * * *', 'Europe/Berlin', 'every day at 07:00 Europe/Berlin'],
    ['@daily', 'UTC', 'every day at 00:00 UTC'],
    ['*/5 * * * *', 'UTC', 'every 5 minutes (UTC)'],
    ['@hourly', 'UTC', 'every hour at :00 (UTC)'],
    ['15 * * * *', 'UTC', 'every hour at :15 (UTC)'],
    ['0 */6 * * *', 'UTC', 'every 6 hours at :00 (UTC)'],
    ['30 9 * * mon-fri', 'Europe/Paris', 'on weekdays at 09:30 Europe/Paris'],
    ['0 3 * * 0', 'UTC', 'on Sundays at 03:00 UTC'],
    ['0 3 * * 7', 'UTC', 'on Sundays at 03:00 UTC'],
    ['0 4 * * sat,sun', 'UTC', 'on weekends at 04:00 UTC'],
    ['0 2 * * 1#1', 'UTC', 'on the first Monday of the month at 02:00 UTC'],
    ['0 0 L * *', 'UTC', 'on the last day of the month at 00:00 UTC'],
    ['0 9,17 * * *', 'UTC', 'every day at 09:00 and 17:00 UTC'],
    ['0 0 1,15 * *', 'UTC', 'on days 1 and 15 of the month at 00:00 UTC'],
    ['*/10 8-18 * * 1-5', 'UTC', 'on weekdays every 10 minutes from 08:00 to 18:59 (UTC)'],
    ['5 4 * jan,jul *', 'UTC', 'every day at 04:05 in January and July UTC'],
    ['0 0 0 * * *', 'UTC', 'every day at 00:00 UTC'],
  ])('%s in %s: %s', (expression, zone, words) => {
    expect(describeSchedule(expression, zone)).toBe(words);
  });

  it('says what it cannot put in words as the expression, never as something else', () => {
    expect(describeSchedule('30 0 7 * * *', 'UTC')).toBe('cron "30 0 7 * * *" (UTC)');
    expect(describeSchedule('1-5 * * * *', 'UTC')).toBe('cron "1-5 * * * *" (UTC)');
    expect(describeSchedule('0 0 1,15 * 1', 'UTC')).toBe('cron "0 0 1,15 * 1" (UTC)');
    expect(() => describeSchedule('61 * * * *', 'UTC')).toThrow(/minute must be 0-59/);
  });
});

describe('console HTML', () => {
  it('escapes every interpolated value, also inside attributes and lists; markup made by html stays markup', () => {
    const evil = `"><script>alert('x')</script>&`;
    expect(escapeHtml(evil)).toBe('&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;');
    const page = html`<a title="${evil}">${[evil, html`<b>${evil}</b>`]}</a>${null}${undefined}${false}`;
    expect(page.text).toBe(`<a title="${escapeHtml(evil)}">${escapeHtml(evil)}<b>${escapeHtml(evil)}</b></a>`);
  });

  it('drops the templates’ indentation, not the whitespace inside values', () => {
    const value = 'a\n    b';
    // Written as a template's parts (the formatter would reflow a literal template).
    const parts = ['<p>\n      ', '\n    </p>'];
    const strings = Object.assign([...parts], { raw: parts }) as unknown as TemplateStringsArray;
    expect(html(strings, value).text).toBe('<p>\na\n    b\n</p>');
  });
});
