import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createProxyTrust } from './client-address.js';

const request = (remoteAddress: string, headers: Record<string, string> = {}) =>
  ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;

describe('createProxyTrust', () => {
  it('believes X-Forwarded-For only from a trusted proxy', () => {
    const trust = createProxyTrust(['10.0.0.0/8', '127.0.0.1']);
    expect(trust.clientAddress(request('10.1.2.3', { 'x-forwarded-for': '203.0.113.9' }))).toBe(
      '203.0.113.9',
    );
    expect(trust.clientAddress(request('192.0.2.1', { 'x-forwarded-for': '203.0.113.9' }))).toBe('192.0.2.1');
    expect(trust.clientAddress(request('::ffff:127.0.0.1', { 'x-forwarded-for': '198.51.100.7' }))).toBe(
      '198.51.100.7',
    );
  });

  it('takes the right-most untrusted hop, so a client cannot prepend a fake one', () => {
    const trust = createProxyTrust(['10.0.0.0/8']);
    const req = request('10.0.0.2', { 'x-forwarded-for': '1.1.1.1, 203.0.113.9, 10.0.0.7' });
    expect(trust.clientAddress(req)).toBe('203.0.113.9');
  });

  it('reads the scheme from a trusted proxy only', () => {
    const trust = createProxyTrust(['127.0.0.1/32']);
    expect(trust.isHttps(request('127.0.0.1', { 'x-forwarded-proto': 'https' }))).toBe(true);
    expect(trust.isHttps(request('127.0.0.2', { 'x-forwarded-proto': 'https' }))).toBe(false);
    expect(createProxyTrust([]).isHttps(request('127.0.0.1', { 'x-forwarded-proto': 'https' }))).toBe(false);
  });
});
