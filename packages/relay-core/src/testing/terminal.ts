// The test's end of a session's client stream: writes input, and watches output for patterns.
import type { Duplex } from 'node:stream';
import { OutputWatcher } from '@termrelay/test-sshd';

export class TestTerminal extends OutputWatcher {
  constructor(readonly stream: Duplex) {
    super();
    stream.on('data', (chunk: Buffer) => this.feed(chunk));
    stream.on('error', () => {});
  }

  write(text: string): void {
    this.stream.write(Buffer.from(text, 'utf8'));
  }
}
