// A child process for the Loki-outage scenario: writes CRI lines (`... stdout F seq=<n> ...`) to
// <file> at <bytes per second>, rotating kubelet-style every <rotate seconds>: the file is
// renamed to <file>.1 (older generations shift to .2, .3, ...; the one past <keep> is deleted)
// and a new file is created. On the IPC message `stop` it answers `{type:'written', lines}`
// and exits.
//
//   fork('rotating-writer.mjs', [file, bytesPerSecond, rotateSeconds, keep, lineBytes])

import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

const [file, rateArg, rotateArg, keepArg, lineArg] = process.argv.slice(2);
const rate = Number(rateArg);
const rotateMs = Number(rotateArg) * 1000;
const keep = Number(keepArg);
const lineBytes = Number(lineArg ?? 200);

let fd = openSync(file, 'a');
let seq = 0;
let written = 0;
const started = Date.now();
let lastRotation = started;
let rotations = 0;

function line() {
  const head = `${new Date().toISOString().replace('Z', '000000Z')} stdout F seq=${seq++} `;
  return `${head}${'x'.repeat(Math.max(1, lineBytes - head.length - 1))}\n`;
}

function rotate() {
  closeSync(fd);
  rmSync(`${file}.${keep}`, { force: true });
  for (let g = keep - 1; g >= 1; g--) {
    try {
      renameSync(`${file}.${g}`, `${file}.${g + 1}`);
    } catch {
      // not there yet
    }
  }
  renameSync(file, `${file}.1`);
  fd = openSync(file, 'a');
  rotations++;
}

// Every 20 ms, write what the rate allows by now (in one write), rotating on time.
const timer = setInterval(() => {
  const now = Date.now();
  if (now - lastRotation >= rotateMs) {
    lastRotation += rotateMs;
    rotate();
  }
  const due = ((now - started) / 1000) * rate;
  let chunk = '';
  while (written + chunk.length < due) chunk += line();
  if (chunk) {
    writeSync(fd, chunk);
    written += chunk.length;
  }
}, 20);

process.on('message', (msg) => {
  if (msg?.type !== 'stop') return;
  clearInterval(timer);
  closeSync(fd);
  process.send?.({ type: 'written', lines: seq, bytes: written, rotations }, () => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
