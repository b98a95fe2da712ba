// The systemd unit is valid for systemd and starts the CLI with a config that exists.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../support/agent-process.js';

const unitPath = resolve(import.meta.dirname, '../../config/logferry.service');
const unit = readFileSync(unitPath, 'utf8');
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

describe('config/logferry.service', () => {
  it('restarts on failure, reloads with SIGHUP, keeps positions in its state directory, reads logs as adm', () => {
    assert.match(unit, /^Restart=on-failure$/m);
    assert.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    assert.match(unit, /^StateDirectory=logferry$/m);
    assert.match(unit, /^SupplementaryGroups=.*\badm\b/m);
    assert.match(unit, /^ProtectSystem=strict$/m);
    assert.match(unit, /^NoNewPrivileges=true$/m);
    // V8 compiles code at run time: this option would kill the process.
    assert.doesNotMatch(unit, /MemoryDenyWriteExecute=true/);
  });

  it('lets journal jobs read the journal and syslog or push jobs bind ports below 1024, and no more', () => {
    assert.match(unit, /^SupplementaryGroups=.*\bsystemd-journal\b/m);
    assert.match(unit, /^AmbientCapabilities=CAP_NET_BIND_SERVICE$/m);
    assert.match(unit, /^CapabilityBoundingSet=CAP_NET_BIND_SERVICE$/m);
    // journalctl runs as a child process and syslog listens on UDP and TCP.
    assert.match(unit, /^RestrictAddressFamilies=.*AF_INET\b.*AF_UNIX/m);
  });

  it('passes systemd-analyze verify', {
    skip: !hasSystemdAnalyze && 'systemd-analyze is not installed',
  }, () => {
    const { dir, cleanup } = tempDir();
    // verify checks that ExecStart's program exists: point it at this machine's node.
    const local = join(dir, 'logferry.service');
    writeFileSync(local, unit.replace(/^ExecStart=\/usr\/bin\/logferry /m, `ExecStart=${process.execPath} `));
    const out = execFileSync('systemd-analyze', ['verify', local], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.equal(out.trim(), '');
    cleanup();
  });
});
