// Tickets in the page: the platform that embeds the console opens it as `/?target=vm1&ticket=JWT`. The
// page takes the ticket once, removes it from the address bar (so it is not in history, bookmarks or a
// shared link), keeps it in memory only (never storage or cookies), and sends it as
// `Authorization: Bearer` to the API and as `ticket=` on the console URL, since a browser cannot set
// headers on a WebSocket. It never prints a ticket.
import { removeFromAddressBar } from './sign-in.js';

/** Takes `?ticket=` from the URL once and removes it; undefined when there is none. */
export function takeTicketFromUrl(): string | undefined {
  const ticket = new URLSearchParams(location.search).get('ticket') ?? undefined;
  removeFromAddressBar('ticket');
  return ticket?.trim() || undefined;
}

/** The headers that carry `ticket` to the API: none without one. */
export function ticketHeaders(ticket: string | undefined): Record<string, string> {
  return ticket ? { Authorization: `Bearer ${ticket}` } : {};
}

/** `url` with `ticket=` added (replacing any), or unchanged without a ticket. */
export function withTicket(url: string, ticket: string | undefined): string {
  if (!ticket) return url;
  const parsed = new URL(url);
  parsed.searchParams.set('ticket', ticket);
  return parsed.href;
}
