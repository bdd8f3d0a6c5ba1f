// Signing in with a static token: the page exchanges it once (POST /api/session) for an HttpOnly cookie,
// so the token leaves the address bar and never rides on a WebSocket URL, where proxies would log it.
// A token arrives in the URL (`?token=`, the link the server prints) or through the small sign-in form.

/** Removes `name` from the address bar (and so from history and bookmarks), keeping everything else. */
export function removeFromAddressBar(name: string): void {
  const url = new URL(location.href);
  if (!url.searchParams.has(name)) return;
  url.searchParams.delete(name);
  history.replaceState(history.state, '', url.pathname + (url.search ? url.search : '') + url.hash);
}

/** Takes `?token=` from the URL once and removes it; undefined when there is none. */
export function takeTokenFromUrl(): string | undefined {
  const token = new URLSearchParams(location.search).get('token') ?? undefined;
  removeFromAddressBar('token');
  return token?.trim() || undefined;
}

/** Exchanges a token for the session cookie. Resolves true when the server took it. */
export async function exchangeToken(token: string): Promise<boolean> {
  try {
    const res = await fetch('/api/session', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      credentials: 'same-origin',
      cache: 'no-store',
    });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Shows the sign-in form and resolves once a token was accepted. The form never submits anywhere itself:
 * the token goes to the exchange only.
 */
export function signIn(form: HTMLFormElement, input: HTMLInputElement, hint: HTMLElement): Promise<void> {
  form.hidden = false;
  input.value = '';
  input.focus();
  return new Promise((resolve) => {
    const onSubmit = (event: SubmitEvent) => {
      event.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      hint.textContent = 'Checking…';
      void exchangeToken(token).then((ok) => {
        if (!ok) {
          hint.textContent = 'That token was not accepted';
          input.select();
          return;
        }
        input.value = '';
        hint.textContent = '';
        form.hidden = true;
        form.removeEventListener('submit', onSubmit);
        resolve();
      });
    };
    form.addEventListener('submit', onSubmit);
  });
}
