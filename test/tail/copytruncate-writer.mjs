// A log writer for the copytruncate test, run as a child process:
//   node copytruncate-writer.mjs PATH LINES LINES_PER_BATCH ROTATE_EVERY_MS
// Appends numbered lines through a held O_APPEND descriptor, one batch per event-loop turn, and
// every ROTATE_EVERY_MS does what logrotate's copytruncate does: copies PATH to PATH.<n> and
// truncates PATH to 0 (here with no write in between, so logrotate itself loses nothing).
// Prints the number of truncations on stdout when done.
import * as fs from 'node:fs';

const [file, totalArg, batchArg, rotateArg] = process.argv.slice(2);
const total = Number(totalArg);
const batch = Number(batchArg);
const rotateEveryMs = Number(rotateArg);
const pad = 'y'.repeat(40);

const fd = fs.openSync(file, 'a');
let seq = 0;
let rotations = 0;
let lastRotation = Date.now();

function step() {
  if (Date.now() - lastRotation >= rotateEveryMs) {
    rotations++;
    fs.copyFileSync(file, `${file}.${rotations}`);
    fs.ftruncateSync(fd, 0);
    lastRotation = Date.now();
  }
  let chunk = '';
  for (let i = 0; i < batch && seq < total; i++, seq++)
    chunk += `seq=${String(seq).padStart(7, '0')} ${pad}\n`;
  fs.writeSync(fd, chunk);
  if (seq < total) setTimeout(step, 1);
  else {
    fs.closeSync(fd);
    process.stdout.write(String(rotations));
  }
}
step();
