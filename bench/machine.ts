import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';

/** What a reader needs to judge the numbers: the machine, its load, and the versions that ran. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  moto: string;
  /** 1-minute load average when the run started (other work on the machine slows moto down). */
  loadAtStart: number;
}

function cpuModel(): string {
  const fromNode = cpus()[0]?.model?.trim();
  if (fromNode) return fromNode;
  try {
    return /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function motoVersion(): string {
  const python = process.env.PYTHON ?? 'python3';
  const result = spawnSync(python, ['-c', 'import moto; print(moto.__version__)'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : 'unknown';
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: cpuModel(),
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    moto: motoVersion(),
    loadAtStart: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}
