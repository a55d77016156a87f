/** A client that signs in to the console as a browser would (cookie, CSRF field from the page), over real HTTP. */
export class ConsoleClient {
  cookie: string | null = null;
  constructor(public base: string) {}

  async get(path: string, headers: Record<string, string> = {}) {
    const response = await fetch(`${this.base}${path}`, {
      redirect: 'manual',
      headers: { ...(this.cookie ? { cookie: this.cookie } : {}), ...headers },
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
    const response = await fetch(`${this.base}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: this.base,
        'sec-fetch-site': 'same-origin',
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...headers,
      },
      body: new URLSearchParams(form).toString(),
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  /** Signs in with `token`; returns the answer to the sign-in POST. */
  async signIn(token: string) {
    const answer = await this.post('/login', { token });
    const set = answer.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0]!;
    return answer;
  }

  /** The CSRF field of the page at `path`. */
  async csrf(path = '/'): Promise<string> {
    const page = await this.get(path);
    const match = /name="_csrf" value="([^"]+)"/.exec(page.text);
    if (!match) throw new Error(`no CSRF field on ${path} (status ${page.status})`);
    return match[1]!;
  }
}
