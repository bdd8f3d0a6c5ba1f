// The owner's "Share read-only" control: asks the server for a watch link, shows it (and copies it), says
// how many are watching, and stops sharing. It only speaks through the two functions it is given; it
// never opens sockets nor touches the terminal.
import type { ClientControlMessage, ServerControlMessage } from '@termrelay/protocol';

export interface ShareControl {
  /** Feed every server control message of the owner's connection here. */
  onControl(message: ServerControlMessage): void;
  /** The connection ended: sharing ends with it. */
  reset(): void;
}

export function createShareControl(
  bar: HTMLElement,
  send: (message: ClientControlMessage) => void,
): ShareControl {
  const button = document.createElement('button');
  button.type = 'button';
  button.id = 'share';
  button.className = 'share';
  button.textContent = 'Share read-only';
  const link = document.createElement('input');
  link.id = 'share-link';
  link.className = 'share-link';
  link.readOnly = true;
  link.hidden = true;
  link.setAttribute('aria-label', 'Read-only link');
  const watching = document.createElement('span');
  watching.id = 'watchers';
  watching.className = 'watchers';
  bar.append(button, link, watching);
  let sharing = false;

  button.addEventListener('click', () => {
    if (sharing) {
      send({ type: 'unshare' });
      sharing = false;
      link.hidden = true;
      button.textContent = 'Share read-only';
    } else send({ type: 'share' });
  });

  return {
    onControl(message) {
      if (message.type === 'shared') {
        sharing = true;
        link.value = new URL(message.url, location.origin).href;
        link.title = `Lets watchers in until ${new Date(message.expiresAt).toLocaleString()}`;
        link.hidden = false;
        link.select();
        void navigator.clipboard?.writeText(link.value).catch(() => {});
        button.textContent = 'Stop sharing';
      } else if (message.type === 'watchers') {
        watching.textContent = message.count > 0 ? `${message.count} watching` : '';
      }
    },
    reset() {
      sharing = false;
      link.hidden = true;
      watching.textContent = '';
      button.textContent = 'Share read-only';
    },
  };
}
