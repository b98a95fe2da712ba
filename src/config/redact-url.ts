// Secrets in URLs: the user info (user name and password; either may be a token) and query
// values (`?api_key=...`) are shown as <secret> wherever a URL is printed: the effective config,
// config errors, start-up errors. Its own file so that the config reader can use it too.

export const SECRET = '<secret>';

/**
 * A URL with its user info (user name and password: either may be a token) and the values of
 * its query string shown as <secret>. Text that does not parse as a URL (the subject of an
 * "invalid URL" error) is redacted by pattern all the same.
 */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return redactUrlText(text);
  }
  if (!url.username && !url.password && !url.search) return text;
  const userinfo =
    url.username || url.password ? `${url.username ? SECRET : ''}${url.password ? `:${SECRET}` : ''}@` : '';
  const query = url.search ? `?${redactQuery(url.search.slice(1))}` : '';
  return `${url.protocol}//${userinfo}${url.host}${url.pathname}${query}${url.hash}`;
}

/** Every URL in a message (errors, log fields) with user info and query values hidden. */
export function redactUrlsIn(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]+/gi, (u) => {
    // Punctuation that ends a sentence or a list is not part of the URL.
    const end = /[.,;:!?]+$/.exec(u)?.[0] ?? '';
    return redactUrlText(u.slice(0, u.length - end.length)) + end;
  });
}

function redactUrlText(text: string): string {
  return text
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/?#\s]*)@/i, (_m, scheme: string, userinfo: string) => {
      const colon = userinfo.indexOf(':');
      if (colon < 0) return `${scheme}${SECRET}@`;
      return `${scheme}${colon > 0 ? SECRET : ''}:${SECRET}@`;
    })
    .replace(/\?([^#\s]*)/, (_m, q: string) => `?${redactQuery(q)}`);
}

function redactQuery(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      return eq + 1 < pair.length ? `${pair.slice(0, eq)}=${SECRET}` : pair;
    })
    .join('&');
}
