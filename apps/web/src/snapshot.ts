// The terminal's state as text that rebuilds it: screen, scrollback, colours, cursor, modes (bracketed
// paste, application keys) and the alternate screen of a full-screen program, via @xterm/addon-serialize.
// Taken on `pagehide` together with the output offset it corresponds to, written back after a reload, so
// the page resumes from that offset and the screen comes back exactly. Never touches storage or the
// network.
import { SerializeAddon } from '@xterm/addon-serialize';
import type { IDisposable, Terminal } from '@xterm/xterm';

/** What a snapshot needs of a terminal (a browser `Terminal`, or a headless one in tests). */
export type SnapshotTerminal = Pick<Terminal, 'cols' | 'rows' | 'write' | 'resize' | 'reset' | 'loadAddon'>;

export interface TerminalState {
  readonly cols: number;
  readonly rows: number;
  readonly data: string;
}

export class Snapshotter implements IDisposable {
  private readonly addon = new SerializeAddon();

  constructor(private readonly term: SnapshotTerminal) {
    term.loadAddon(this.addon);
  }

  /** The terminal as xterm has parsed it so far (writes still queued are not in it). */
  take(): TerminalState {
    return { cols: this.term.cols, rows: this.term.rows, data: this.addon.serialize() };
  }

  /**
   * Resets the terminal and rebuilds `state` at the size it was taken (the caller refits afterwards: xterm
   * reflows). Resolves once xterm has parsed it.
   */
  restore(state: TerminalState): Promise<void> {
    this.term.reset();
    if (state.cols !== this.term.cols || state.rows !== this.term.rows)
      this.term.resize(state.cols, state.rows);
    return new Promise((resolve) => this.term.write(state.data, resolve));
  }

  dispose(): void {
    this.addon.dispose();
  }
}
