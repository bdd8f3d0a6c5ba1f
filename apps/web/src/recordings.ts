// The recordings page: lists the caller's recordings (GET /api/recordings) and plays one with
// asciinema-player (seek with the bar or the arrow keys, speed from the picker). It only reads.
import * as AsciinemaPlayer from 'asciinema-player';
import 'asciinema-player/dist/bundle/asciinema-player.css';
import './style.css';

interface RecordingInfo {
  readonly session: string;
  readonly target: string;
  readonly started: string;
  readonly duration: number;
  readonly bytes: number;
}

const list = document.getElementById('recordings') as HTMLUListElement;
const stage = document.getElementById('player') as HTMLElement;
const speed = document.getElementById('speed') as HTMLSelectElement;
const status = document.getElementById('status') as HTMLElement;
let player: AsciinemaPlayer.Player | undefined;
let playing: string | undefined;

function play(session: string): void {
  player?.dispose();
  stage.replaceChildren();
  playing = session;
  player = AsciinemaPlayer.create(`/api/recordings/${encodeURIComponent(session)}`, stage, {
    speed: Number(speed.value),
    autoPlay: true,
    controls: true,
    fit: 'width',
  });
  stage.dataset.session = session;
}

speed.addEventListener('change', () => playing && play(playing));

async function load(): Promise<void> {
  const response = await fetch('/api/recordings', { credentials: 'same-origin' });
  if (!response.ok) {
    status.textContent =
      response.status === 401 ? 'Sign in on the console page first' : 'Cannot list recordings';
    return;
  }
  const recordings = (await response.json()) as RecordingInfo[];
  status.textContent = recordings.length ? `${recordings.length} recordings` : 'No recordings yet';
  list.replaceChildren(
    ...recordings.map((r) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.session = r.session;
      button.textContent = `${new Date(r.started).toLocaleString()} · ${r.target} · ${Math.round(r.duration)} s · ${r.session}`;
      button.addEventListener('click', () => play(r.session));
      item.append(button);
      return item;
    }),
  );
}

void load();
