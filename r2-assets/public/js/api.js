// Shared by the account pages (r2-assets/templates/{signup,signin,account}.html):
// the API's JSON errors and same-origin JSON posts.

/** `document.getElementById`. */
export const $ = (id) => document.getElementById(id);

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

/** The API's `{"error":{"code","message"}}`, with Retry-After on a 429. */
export async function apiError(resp) {
  let code = `http_${resp.status}`, message = resp.statusText || 'request failed';
  try {
    const body = await resp.json();
    if (body && body.error) { code = body.error.code || code; message = body.error.message || message; }
  } catch { /* not JSON: keep the status line */ }
  const retry = resp.headers.get('Retry-After');
  if (resp.status === 429 && retry) message = `${message.replace(/\.?$/, '.')} Try again in ${/^\d+$/.test(retry) ? `${retry} s` : retry}.`;
  return new ApiError(resp.status, code, message);
}

export function showError(e) {
  const strong = document.createElement('strong');
  strong.textContent = e instanceof ApiError ? (e.status ? `${e.status} ${e.code}` : e.code)
    : e instanceof TypeError ? 'network_error' : 'error';
  const p = document.createElement('p');
  p.textContent = e.message || String(e);
  $('error').replaceChildren(strong, p);
  $('error').hidden = false;
}

export const postJson = (path, body) => fetch(path, {
  method: 'POST', credentials: 'same-origin', cache: 'no-store',
  headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
});
