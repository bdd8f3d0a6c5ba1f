import { describe, expect, it } from 'vitest';
import { ticketHeaders, withTicket } from './ticket.js';

describe('the ticket on its way to the server', () => {
  it('rides on the console URL as ticket=, keeping the other parameters', () => {
    const url = 'ws://127.0.0.1:8080/api/targets/vm1/console?cols=80&rows=24&flow=ack';
    const sent = new URL(withTicket(url, 'aaa.bbb.ccc'));
    expect(sent.pathname).toBe('/api/targets/vm1/console');
    expect(Object.fromEntries(sent.searchParams)).toEqual({
      cols: '80',
      rows: '24',
      flow: 'ack',
      ticket: 'aaa.bbb.ccc',
    });
    expect(withTicket(url, undefined)).toBe(url);
  });

  it('goes to the API as a bearer credential, and nothing is sent without one', () => {
    expect(ticketHeaders('aaa.bbb.ccc')).toEqual({ Authorization: 'Bearer aaa.bbb.ccc' });
    expect(ticketHeaders(undefined)).toEqual({});
  });
});
