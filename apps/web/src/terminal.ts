// The xterm.js terminal: theme, font, fitting to its container, links, and copy/paste the way terminal
// users expect in a browser (Ctrl+Shift+C copies the selection, Ctrl+Shift+V pastes; plain Ctrl+C stays
// SIGINT). Paste goes through xterm, so bracketed paste reaches the shell. It also picks the renderer:
// WebGL when asked for and available, falling back to the DOM renderer when WebGL is missing or its
// context is lost.
import { FitAddon } from '@xterm/addon-fit';
import { WebglAddon } from '@xterm/addon-webgl';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Terminal, type IDisposable } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';

const THEME = {
  background: '#0d1117',
  foreground: '#e6edf3',
  cursor: '#58a6ff',
  cursorAccent: '#0d1117',
  selectionBackground: '#264f78',
  black: '#484f58',
  red: '#ff7b72',
  green: '#3fb950',
  yellow: '#d29922',
  blue: '#58a6ff',
  magenta: '#bc8cff',
  cyan: '#39c5cf',
  white: '#b1bac4',
  brightBlack: '#6e7681',
  brightRed: '#ffa198',
  brightGreen: '#56d364',
  brightYellow: '#e3b341',
  brightBlue: '#79c0ff',
  brightMagenta: '#d2a8ff',
  brightCyan: '#56d4dd',
  brightWhite: '#f0f6fc',
};

export type RendererKind = 'webgl' | 'dom';

/**
 * The renderer to try. The default is DEFAULT_RENDERER; a page may ask for the other with ?renderer=webgl
 * or ?renderer=dom (to compare them: see bench/ and docs/performance.md).
 */
export const DEFAULT_RENDERER: RendererKind = 'dom';

function requestedRenderer(): RendererKind {
  const asked = new URLSearchParams(window.location.search).get('renderer');
  return asked === 'webgl' || asked === 'dom' ? asked : DEFAULT_RENDERER;
}

/** Loads the WebGL renderer; on failure or a lost context the terminal stays on (or returns to) the DOM. */
function useWebgl(term: Terminal, container: HTMLElement): IDisposable | undefined {
  try {
    const addon = new WebglAddon();
    addon.onContextLoss(() => {
      addon.dispose();
      container.dataset.renderer = 'dom';
    });
    term.loadAddon(addon);
    container.dataset.renderer = 'webgl';
    return addon;
  } catch {
    container.dataset.renderer = 'dom';
    return undefined;
  }
}

export interface ConsoleTerminal extends IDisposable {
  readonly term: Terminal;
  /** Refits to the container now; returns the resulting size. */
  fit(): { cols: number; rows: number };
}

export function createTerminal(container: HTMLElement): ConsoleTerminal {
  const narrow = window.matchMedia('(max-width: 600px)').matches;
  const term = new Terminal({
    fontFamily: '"JetBrains Mono", "DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", monospace',
    fontSize: narrow ? 12 : 14,
    lineHeight: 1.1,
    cursorBlink: true,
    scrollback: 5000,
    theme: THEME,
    allowProposedApi: false,
  });
  const fitAddon = new FitAddon();
  term.loadAddon(fitAddon);
  term.loadAddon(new WebLinksAddon());
  term.open(container);
  container.dataset.renderer = 'dom';
  const webgl = requestedRenderer() === 'webgl' ? useWebgl(term, container) : undefined;

  term.attachCustomKeyEventHandler((event) => {
    if (event.type !== 'keydown' || !event.ctrlKey || !event.shiftKey) return true;
    if (event.code === 'KeyC') {
      const selection = term.getSelection();
      if (selection) void navigator.clipboard?.writeText(selection).catch(() => {});
      return false;
    }
    // Let the browser's own paste run: it lands in xterm's textarea and goes out as input.
    if (event.code === 'KeyV') return false;
    return true;
  });

  const fit = () => {
    try {
      fitAddon.fit();
    } catch {
      // Hidden or detached container: keep the last size.
    }
    return { cols: term.cols, rows: term.rows };
  };
  // The size in the DOM, for people inspecting the page and for browser tests.
  const showSize = () => {
    container.dataset.cols = String(term.cols);
    container.dataset.rows = String(term.rows);
  };
  term.onResize(showSize);
  fit();
  showSize();

  let timer: ReturnType<typeof setTimeout> | undefined;
  const observer = new ResizeObserver(() => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(fit, 50);
  });
  observer.observe(container);

  return {
    term,
    fit,
    dispose() {
      observer.disconnect();
      if (timer !== undefined) clearTimeout(timer);
      webgl?.dispose();
      term.dispose();
    },
  };
}
