/** The page around every console view: head with the hashed assets, navigation, who is signed in, sign-out. */
import { consoleAssets } from './assets.js';
import { html, type Html } from './html.js';
import type { Session } from './session.js';

const NAV: Array<[string, string]> = [
  ['/', 'Overview'],
  ['/incidents', 'Incidents'],
  ['/reports', 'Reports'],
  ['/audit', 'Audit'],
];

export function page(title: string, session: Session | null, body: Html, options: { live?: string } = {}): Html {
  const { css, js, icon } = consoleAssets();
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · opscron</title>
        <link rel="stylesheet" href="${css.path}" />
        <link rel="icon" href="${icon.path}" type="image/svg+xml" />
        <script src="${js.path}" defer></script>
        ${options.live ? html`<noscript><meta http-equiv="refresh" content="5" /></noscript>` : null}
      </head>
      <body>
        <header class="top">
          <a href="/"><strong>opscron</strong></a>
          ${
            session
              ? html`<nav aria-label="Main">${NAV.map(([href, label]) => html`<a href="${href}">${label}</a>`)}</nav>
                  <span class="who">${session.principal.name} (${session.principal.scope})</span>
                  <form method="post" action="/logout">
                    <input type="hidden" name="_csrf" value="${session.csrf}" /><button type="submit">Sign out</button>
                  </form>`
              : null
          }
        </header>
        <main id="main">${body}</main>
      </body>
    </html> `;
}

/** The hidden field every state-changing form carries. */
export const csrfField = (session: Session): Html => html`<input type="hidden" name="_csrf" value="${session.csrf}" />`;

/** A page that says what went wrong, with a way back. */
export function problemPage(session: Session | null, status: number, message: string, back = '/'): Html {
  const title =
    status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : status >= 500 ? 'Something failed' : 'Not done';
  return page(
    title,
    session,
    html`<h1>${title}</h1>
      <p class="error" role="alert">${message}</p>
      <p><a href="${back}">Back</a></p>`,
  );
}
