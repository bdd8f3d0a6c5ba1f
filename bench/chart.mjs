// An SVG chart of relay vs direct from a results JSON: throughput and echo latency, side by side.
const COLORS = { openssh: '#8b949e', ssh2: '#58a6ff', relay: '#3fb950', 'relay+ack': '#d29922' };

function bars(title, unit, entries, x, width) {
  const max = Math.max(...entries.map(([, v]) => v)) * 1.15 || 1;
  const barWidth = Math.min(60, (width - 40) / entries.length - 12);
  const h = 220;
  let out = `<text x="${x + width / 2}" y="30" text-anchor="middle" font-size="15" font-weight="600">${title}</text>`;
  entries.forEach(([label, value], i) => {
    const bx = x + 30 + i * (barWidth + 12);
    const bh = (value / max) * h;
    const color = COLORS[label.split(' ')[0]] ?? '#bc8cff';
    out += `<rect x="${bx}" y="${260 - bh}" width="${barWidth}" height="${bh}" fill="${color}" rx="3"/>`;
    out += `<text x="${bx + barWidth / 2}" y="${252 - bh}" text-anchor="middle" font-size="11">${value}</text>`;
    out += `<text x="${bx + barWidth / 2}" y="278" text-anchor="middle" font-size="10">${label}</text>`;
  });
  out += `<text x="${x + 8}" y="150" font-size="11" transform="rotate(-90 ${x + 8} 150)" text-anchor="middle">${unit}</text>`;
  return out;
}

export function chart(results) {
  const t = results.scenarios.throughput;
  const e = results.scenarios.echoLatency;
  const left = bars('Throughput', 'MB/s', Object.entries(t.mbps), 0, 380);
  const right = bars(
    'Echo latency p50 / p99',
    'ms',
    [
      ['ssh2 p50', e.ssh2.p50],
      ['relay p50', e.relay.p50],
      ['ssh2 p99', e.ssh2.p99],
      ['relay p99', e.relay.p99],
    ],
    400,
    380,
  );
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="300" font-family="sans-serif" fill="#222">` +
    `<rect width="800" height="300" fill="#fff"/>${left}${right}` +
    `<text x="790" y="296" text-anchor="end" font-size="9" fill="#666">${results.date} · ${results.machine}</text></svg>\n`
  );
}
