// A log writer for the rotation tests, run as a child process:
//   node rotating-writer.mjs PATH LINES LINES_PER_BATCH ROTATE_EVERY_MS
// Appends numbered lines ("seq=000123 ...padding...") through a held O_APPEND descriptor, one
// batch per event-loop turn, and every ROTATE_EVERY_MS renames PATH to PATH.1 (replacing the
// previous PATH.1, as logrotate does with `rotate 1`) and reopens PATH, like an app that reopens
// on SIGHUP. Prints the number of rotations on stdout when done.
import * as fs from 'node:fs';

const [file, totalArg, batchArg, rotateArg] = process.argv.slice(2);
const total = Number(totalArg);
const batch = Number(batchArg);
const rotateEveryMs = Number(rotateArg);
const pad = 'x'.repeat(48);

let fd = fs.openSync(file, 'a');
let seq = 0;
let rotations = 0;
let lastRotation = Date.now();

function step() {
  if (Date.now() - lastRotation >= rotateEveryMs) {
    fs.closeSync(fd);
    fs.renameSync(file, `${file}.1`);
    fd = fs.openSync(file, 'a');
    rotations++;
    lastRotation = Date.now();
  }
  let chunk = '';
  for (let i = 0; i < batch && seq < total; i++, seq++)
    chunk += `seq=${String(seq).padStart(6, '0')} ${pad}\n`;
  fs.writeSync(fd, chunk);
  if (seq < total) setTimeout(step, 2);
  else {
    fs.closeSync(fd);
    process.stdout.write(String(rotations));
  }
}
step();
